-- +goose Up
-- (Every migration that rewrites an e-mail event CHECK keeps what the
-- earlier ones allowed: 00012 reactivated and locked, 00013 the operations'
-- approval e-mails, 00014 expiring-<mark> and expired.)
-- Batch orders (LIFECYCLE.md "Batch orders"): the operator who started an
-- order gets an e-mail when it waits for them (an issue order with failed
-- items) and when it completes, once per order and round:
-- order-waiting-<round>, order-completed-<round>. They go through the same
-- outbox and notifications table as the cards' e-mails, keyed by the
-- order's id in card_id: so card_id no longer references cards (cards are
-- never deleted, so the ON DELETE CASCADE never ran).
ALTER TABLE notifications DROP CONSTRAINT notifications_card_id_fkey;
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_card_id_fkey;

ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^(deactivation|reactivation|lock)-(requested|reminder|decided):.+$'
        OR event ~ '^order-(waiting|completed)-[0-9]+$');
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^order-(waiting|completed)-[0-9]+$');

-- +goose Down
DELETE FROM notification_outbox WHERE event LIKE 'order-%';
DELETE FROM notifications WHERE event LIKE 'order-%';
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$');
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked', 'expired')
        OR event ~ '^expiring-([0-9]+[hms]|daily-[0-9]{4}-[0-9]{2}-[0-9]{2})$'
        OR event ~ '^(deactivation|reactivation|lock)-(requested|reminder|decided):.+$');
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_card_id_fkey
    FOREIGN KEY (card_id) REFERENCES cards (id) ON DELETE CASCADE;
ALTER TABLE notifications ADD CONSTRAINT notifications_card_id_fkey
    FOREIGN KEY (card_id) REFERENCES cards (id) ON DELETE CASCADE;
