-- +goose Up
-- (Every migration that rewrites an e-mail event CHECK keeps what the
-- earlier ones allowed: 00012 reactivated and locked, 00013 the operations'
-- approval e-mails, 00014 expiring-<mark> and expired, 00016
-- order-waiting-<round> and order-completed-<round>.)
-- A card may be deactivated and reactivated many times, and its holder is
-- told of each reactivation (LIFECYCLE.md, issue 19). The outbox and the
-- notifications table keep one row per card and event, so a plain
-- 'reactivated' was mailed for the first reactivation only. Each
-- reactivation's e-mail is now keyed by the workflow run that made it,
-- reactivated:<run id> (cards.OperationEvent), the run that also keys its
-- audit row: a retry of the same reactivation finds its rows and sends
-- nothing twice. Plain 'reactivated' stays allowed: rows written before
-- this migration keep their name, and an outbox row queued before it is
-- still sent.
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^(deactivation|reactivation|lock)-(requested|reminder|decided):.+$'
        OR event ~ '^order-(waiting|completed)-[0-9]+$'
        OR event ~ '^reactivated:.+$');
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^order-(waiting|completed)-[0-9]+$'
        OR event ~ '^reactivated:.+$');

-- +goose Down
-- The per-reactivation rows go (the old CHECKs refuse them); plain
-- 'reactivated' rows stay.
DELETE FROM notification_outbox WHERE event LIKE 'reactivated:%';
DELETE FROM notifications WHERE event LIKE 'reactivated:%';
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^order-(waiting|completed)-[0-9]+$');
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^(deactivation|reactivation|lock)-(requested|reminder|decided):.+$'
        OR event ~ '^order-(waiting|completed)-[0-9]+$');
