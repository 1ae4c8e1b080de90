-- +goose Up
-- The shared approval process (issue 19): one row per approval an operation
-- opened (Request card, Deactivate, Reactivate, Lock card), written when it
-- opens and closed with its outcome. The Inbox is one indexed query over the
-- open ones; each vote is also an audit row in card_events (event approve,
-- reject or postpone).
--   operation           request, deactivation, reactivation, lock
--   workflow_id, run_id the workflow that holds the approval: decisions are
--                       updates to it (starter approve --card finds it here);
--                       the pair makes a retried open write nothing twice
--   approvals_required  distinct approvers needed
--   approver_role       the directory role an approver must hold
--   requested_by        who asked for the operation, holder_id the card's
--                       user: neither may decide it
--   approved_by         who approved so far (the Inbox leaves them out)
--   postponed           {"<approver>": {"comment": "...", "at": "..."}}: the
--                       Inbox marks the approval "Postponed by you"
--   state               open, then approved, rejected, timedOut or aborted
CREATE TABLE approvals (
    id                 bigserial PRIMARY KEY,
    card_id            uuid NOT NULL REFERENCES cards (id),
    operation          text NOT NULL
        CONSTRAINT approvals_operation_check CHECK (operation IN ('request', 'deactivation', 'reactivation', 'lock')),
    workflow_id        text NOT NULL,
    run_id             text NOT NULL,
    approvals_required integer NOT NULL,
    approver_role      text NOT NULL,
    requested_by       text NOT NULL,
    holder_id          text NOT NULL,
    card_type          text NOT NULL,
    expires_at         timestamptz,
    approved_by        text[] NOT NULL DEFAULT '{}',
    postponed          jsonb NOT NULL DEFAULT '{}',
    state              text NOT NULL DEFAULT 'open'
        CONSTRAINT approvals_state_check CHECK (state IN ('open', 'approved', 'rejected', 'timedOut', 'aborted')),
    created_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    CONSTRAINT approvals_workflow_run UNIQUE (workflow_id, run_id)
);
-- One open approval per card: a card has one operation open at a time.
CREATE UNIQUE INDEX approvals_open_by_card ON approvals (card_id) WHERE state = 'open';
-- The Inbox: open approvals of a role, newest first, paged by (created_at, id).
CREATE INDEX approvals_inbox ON approvals (approver_role, created_at DESC, id DESC) WHERE state = 'open';

-- The e-mails of an operation's approval are keyed by operation, event and
-- approval ("deactivation-requested:<run id>", cards.NotifyInput.RecordEvent),
-- so that each approval of a card's life is mailed once.
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked')
        OR event ~ '^(deactivation|reactivation|lock)-(requested|reminder|decided):.+$');

-- +goose Down
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked'));
DROP TABLE approvals;
