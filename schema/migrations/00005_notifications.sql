-- +goose Up
-- The e-mails of card events, one row per card, event and recipient: the
-- primary key is what makes each e-mail go out at most once. A send claims
-- its row first (status 'sending'), then records how it ended:
--   sent     the SMTP server accepted the message;
--   retry    a temporary failure (4xx, server unreachable) before the server
--            took the message: the next attempt may claim the row again;
--   failed   a permanent failure (5xx, invalid address): not retried;
--   skipped  nothing to send (a recipient without an address);
--   sending  claimed; if an attempt stops here (a worker killed mid-send) the
--            message may have gone out, so it is never sent again.
CREATE TABLE notifications (
    card_id    uuid NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    event      text NOT NULL
        CONSTRAINT notifications_event_check CHECK (event IN ('requested', 'reminder', 'decided')),
    recipient  text NOT NULL,
    email      text NOT NULL DEFAULT '',
    message_id text NOT NULL,
    status     text NOT NULL
        CONSTRAINT notifications_status_check CHECK (status IN ('sending', 'sent', 'retry', 'failed', 'skipped')),
    error      text NOT NULL DEFAULT '',
    attempts   integer NOT NULL DEFAULT 1,
    at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (card_id, event, recipient)
);

-- +goose Down
DROP TABLE notifications;
