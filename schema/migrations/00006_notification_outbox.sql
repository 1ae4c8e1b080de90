-- +goose Up
-- The transactional outbox of e-mail notifications: the card write that
-- makes a card requested or decided inserts its event here in the same
-- statement, so an e-mail is queued if and only if the state change
-- committed, without a Temporal activity per e-mail. The worker's
-- dispatcher claims due rows (FOR UPDATE SKIP LOCKED), leases them by
-- moving due_at forward, sends through the notifications table (which keeps
-- each e-mail at most once), and deletes a row once its event is handled.
--   input       the activities.NotifyInput of the event, as JSON;
--   due_at      when the row may be claimed: now for a new row, the end of
--               the lease while a dispatcher works on it, the backoff after
--               a temporary failure;
--   attempts    claims so far; a dispatcher finishes a row only while the
--               count is still the one its claim returned (a fencing token:
--               a dispatcher whose lease ran out cannot undo a newer claim);
--   created_at  when it was queued: a row still failing a day later is
--               given up.
-- One row per card and event: a retried card write queues nothing twice.
CREATE TABLE notification_outbox (
    card_id    uuid NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    event      text NOT NULL
        CONSTRAINT notification_outbox_event_check CHECK (event IN ('requested', 'reminder', 'decided')),
    input      jsonb NOT NULL,
    due_at     timestamptz NOT NULL DEFAULT now(),
    attempts   integer NOT NULL DEFAULT 0,
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (card_id, event)
);
-- The dispatcher's claim: the rows due now, oldest due first.
CREATE INDEX notification_outbox_due ON notification_outbox (due_at);

-- +goose Down
DROP TABLE notification_outbox;
