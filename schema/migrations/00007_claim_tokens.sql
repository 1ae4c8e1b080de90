-- +goose Up
-- Claim and write tokens: a random id that each claim (or card write) writes with the rows it takes,
-- so that a claim that committed but whose answer was lost (a connection
-- closed by a failover or a pooler; the driver then runs the statement
-- again) finds its own rows again instead of taking them for somebody
-- else's.
--   notifications.claim        the claim that set the row to 'sending'; a
--                              claim with the same token takes the row
--                              again, and the outcome is recorded only
--                              under it (a late attempt cannot overwrite a
--                              newer claim);
--   notification_outbox.claim  the dispatcher's claim that leased the row;
--                              a claim run again with the same token gets
--                              the rows it leased back instead of waiting
--                              out their lease;
--   cards.write_token          the call that last wrote the card (its
--                              insert or its decision): a statement run
--                              again after a lost answer recognises its own
--                              write and reports it as written, so the
--                              dispatcher is poked and the metrics count it.
ALTER TABLE cards ADD COLUMN write_token uuid;
ALTER TABLE notifications ADD COLUMN claim uuid;
ALTER TABLE notification_outbox ADD COLUMN claim uuid;
-- A claim run again finds its leased rows by token.
CREATE INDEX notification_outbox_claim ON notification_outbox (claim) WHERE claim IS NOT NULL;

-- +goose Down
DROP INDEX notification_outbox_claim;
ALTER TABLE notification_outbox DROP COLUMN claim;
ALTER TABLE notifications DROP COLUMN claim;
ALTER TABLE cards DROP COLUMN write_token;
