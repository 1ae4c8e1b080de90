-- The privileges cardflow's worker, starter and console need, and no more.
-- Grant them to the login role in their DATABASE_URL; the tables' owner (the
-- role that runs `worker migrate`) keeps everything else: DDL, migrations,
-- TRUNCATE.
--
--   worker migrate --grant-to cardflow_app            (after the migrations)
--   worker grants cardflow_app                        (prints this SQL)
--   psql -v role=cardflow_app -f schema/grants.sql    (the same, by hand)
--
-- Every table and sequence the migrations create is named below, in a GRANT
-- or in a "not granted:" line; schema/grants_test.go fails until a new one is.

-- The worker refuses to start on an old schema, so it reads the version.
GRANT SELECT ON TABLE goose_db_version TO :"role";
-- not granted: goose_db_version_id_seq (only migrations write versions)

-- The directory: the worker reads users and roles, `starter users upsert`
-- writes them (an id is never renamed; users are never deleted).
GRANT SELECT, INSERT ON TABLE users TO :"role";
GRANT UPDATE (given_name, surname, upn, email, state) ON TABLE users TO :"role";
GRANT SELECT, INSERT, DELETE ON TABLE user_roles TO :"role";

-- Cards: a request inserts one, a decision changes only its state; producing
-- and activating it set its number, generation, station, chip and validity.
GRANT SELECT, INSERT ON TABLE cards TO :"role";
GRANT UPDATE (state, updated_at, write_token, card_number) ON TABLE cards TO :"role";
GRANT UPDATE (valid_until, production_generation, production_run, station, chip_uid, production_cancelled) ON TABLE cards TO :"role";

-- A card's certificates: recorded when produced, their status follows the
-- card (hold, good, revoked); rows are never deleted.
GRANT SELECT, INSERT ON TABLE card_certificates TO :"role";
GRANT UPDATE (serial, status, reason, not_after, pem, updated_at) ON TABLE card_certificates TO :"role";
GRANT SELECT, INSERT ON TABLE card_approvals TO :"role";

-- Card numbers: producing a card takes the next number of its prefix's range
-- (next_card_number, executable by PUBLIC, locks and advances the counter
-- row, creating it on first use) and stores it on the card once.
GRANT SELECT, INSERT, UPDATE ON TABLE card_number_ranges TO :"role";

-- Approvals (the shared approval process): opened by an operation, each
-- vote recorded (approved_by, postponed), closed with the outcome; rows are
-- never deleted.
GRANT SELECT, INSERT ON TABLE approvals TO :"role";
GRANT UPDATE (approved_by, postponed, state, closed_at) ON TABLE approvals TO :"role";
GRANT USAGE ON SEQUENCE approvals_id_seq TO :"role";

-- The audit trail is append-only: no UPDATE, DELETE or TRUNCATE.
GRANT SELECT, INSERT ON TABLE card_events TO :"role";
GRANT USAGE ON SEQUENCE card_events_id_seq TO :"role";

-- The console's sign-in sessions (scs postgresstore): it writes, renews,
-- ends and purges them.
GRANT SELECT, INSERT, DELETE ON TABLE sessions TO :"role";
GRANT UPDATE (data, expiry) ON TABLE sessions TO :"role";

-- E-mails, at most once each: a send claims its row, then records how it
-- ended; rows are never deleted.
GRANT SELECT, INSERT ON TABLE notifications TO :"role";
GRANT UPDATE (status, email, error, attempts, at, claim) ON TABLE notifications TO :"role";

-- The e-mail outbox: a card write queues its event, the worker's dispatcher
-- leases, reschedules and deletes the rows once handled. Rows are short-lived
-- work items, not a record (the notifications table is the record).
GRANT SELECT, INSERT, DELETE ON TABLE notification_outbox TO :"role";
GRANT UPDATE (due_at, attempts, last_error, claim) ON TABLE notification_outbox TO :"role";

-- Card secrets, sealed: production writes a card's PIN and PUK once, the PIN
-- delivery reads the PIN and deletes it once delivered. A sealed secret is
-- never changed in place (no UPDATE); the PUK's row stays.
GRANT SELECT, INSERT, DELETE ON TABLE card_secrets TO :"role";

-- Where each PIN went, written once; a record, never changed or deleted.
GRANT SELECT, INSERT ON TABLE pin_deliveries TO :"role";

-- Expiry reminders, one per card and mark, written once by the sweep; a
-- record, never changed or deleted.
GRANT SELECT, INSERT ON TABLE card_reminders TO :"role";
-- Batch orders: the Order workflow writes an order and its items once, then
-- their states, reasons and counts as items end; rows are never deleted.
GRANT SELECT, INSERT ON TABLE orders TO :"role";
GRANT UPDATE (state, updated_at, round, station, total, done, failed, skipped, running) ON TABLE orders TO :"role";
GRANT SELECT, INSERT ON TABLE order_items TO :"role";
GRANT UPDATE (state, reason, round, updated_at) ON TABLE order_items TO :"role";
