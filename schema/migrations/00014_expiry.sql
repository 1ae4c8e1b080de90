-- +goose Up
-- (Every migration that rewrites an e-mail event CHECK keeps what the
-- earlier ones allowed: 00012 reactivated and locked, 00013 the operations' approval e-mails.)
-- Expiry (LIFECYCLE.md "Expiry"): the reminders before a card's
-- valid_until, once per card and mark, and the holder's e-mails.

-- One row per card and mark ('1440h', '168h', 'daily-2029-11-20', ...): the
-- primary key is what makes each reminder go out at most once, however
-- often (or however many at once) the sweep runs. The reminder's outbox row
-- is inserted by the same statement, only for a row this statement made.
CREATE TABLE card_reminders (
    card_id uuid NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    mark    text NOT NULL,
    at      timestamptz NOT NULL,
    PRIMARY KEY (card_id, mark)
);
-- A sweep counts what it did by its time (every write of one sweep carries
-- it): its reminders here, its expiries in the audit trail.
CREATE INDEX card_reminders_at ON card_reminders (at);
CREATE INDEX card_events_expire_at ON card_events (at) WHERE event = 'expire';

-- The sweep pages through the cards that can expire by (valid_until, id):
-- the key of its keyset pagination, in the index (valid_until alone
-- leaves ties to a sort).
DROP INDEX cards_expiry;
CREATE INDEX cards_expiry ON cards (valid_until, id) WHERE state IN ('issued', 'active', 'inactive');

-- The holder's e-mails: one event per reminder mark (expiring-<mark>, the
-- outbox and notifications keep one row per card and event), and expired.
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^(deactivation|reactivation|lock)-(requested|reminder|decided):.+$');
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$');

-- +goose Down
DELETE FROM notification_outbox WHERE event = 'expired' OR event LIKE 'expiring-%';
DELETE FROM notifications WHERE event = 'expired' OR event LIKE 'expiring-%';
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked'));
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked')
        OR event ~ '^(deactivation|reactivation|lock)-(requested|reminder|decided):.+$');
DROP INDEX cards_expiry;
CREATE INDEX cards_expiry ON cards (valid_until) WHERE state IN ('issued', 'active', 'inactive');
DROP INDEX card_events_expire_at;
DROP TABLE card_reminders;
