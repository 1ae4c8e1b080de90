-- +goose Up
-- Request card runs of version 2 that already waited for approval when
-- version 3 came have no approvals row: version 3 opens the row with the
-- card (store.InsertCardOpening), version 2 never did. The Inbox is one
-- query over the open rows, so such a card was in nobody's Inbox. This
-- writes an open row for every card still requested that has no request
-- approval row at all (a version-3 card always has one, open until its
-- decision closes it), taking what it can from the card:
--   workflow_id        'request-card-' || card id: RequestCard's workflow
--                      id (requestcard.WorkflowID), which decisions address
--   run_id             'backfill-00018' (store.BackfilledRunID): the run id
--                      is not in PostgreSQL, and nothing addresses a run.
--                      It marks the rows written here: Down removes them
--                      and nothing else, and store.TransitionCard closes
--                      them with the card's decision (approved, rejected,
--                      else aborted), which a version-2 run does not do
--   approvals_required cards.approvals_required (at least 1, as version 3)
--   requested_by, holder_id, card_type, created_at  the card's
-- Not derivable in SQL (they are in the policy file and the workflow):
--   approver_role      'approver', the policy's default approverRole
--                      (policy.DefaultApproverRole). A card type with
--                      another approverRole is listed in the Inbox of
--                      'approver' holders instead of its own approvers'
--                      (its card page still offers them the decision);
--                      either way the workflow checks the role of the
--                      policy at the decision, so nobody decides what the
--                      policy does not allow
--   expires_at         created_at + 168h, the default approval timeout
--                      (policy.DefaultApprovalTimeout): what the Inbox shows
--                      as "Expires". The workflow's own timer, set from the
--                      card type's approval.timeout, aborts the card when
--                      it runs out, and that closes the row
--   approved_by        empty: a version-2 run keeps its approvals in the
--                      workflow until the decision (then card_approvals).
--                      An approver who approved already may see the card
--                      in the Inbox; the workflow refuses a second approval
-- Running it again inserts nothing: a card with a request row is skipped,
-- and the open row per card is unique (approvals_open_by_card).
INSERT INTO approvals (card_id, operation, workflow_id, run_id, approvals_required, approver_role,
                       requested_by, holder_id, card_type, expires_at, created_at)
SELECT c.id, 'request', 'request-card-' || c.id::text, 'backfill-00018', GREATEST(c.approvals_required, 1), 'approver',
       c.requested_by, c.user_id, c.card_type, c.created_at + interval '168 hours', c.created_at
FROM cards c
WHERE c.state = 'requested'
  AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.card_id = c.id AND (a.operation = 'request' OR a.state = 'open'))
ON CONFLICT DO NOTHING;

-- The card page's Approvals panel (store.ApprovalTrail) reads every
-- approval of a card, closed ones too; approvals_open_by_card serves the
-- open one only.
CREATE INDEX IF NOT EXISTS approvals_by_card ON approvals (card_id, id);

-- +goose Down
DROP INDEX IF EXISTS approvals_by_card;
DELETE FROM approvals WHERE run_id = 'backfill-00018';
