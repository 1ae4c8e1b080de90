-- +goose Up
-- Deactivate, Reactivate and Lock card (issue 19): the holder's e-mails
-- when the card is reactivated and when it is locked (none for Deactivate,
-- as in the original). The transitions themselves need no new column:
-- card_events.event names them ('deactivate', 'reactivate', 'lock',
-- 'abort' for an operation that ended without its transition).
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked'));
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated', 'reactivated', 'locked'));

-- +goose Down
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated'));
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated'));
