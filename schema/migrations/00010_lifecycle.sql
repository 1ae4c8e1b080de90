-- +goose Up
-- The card after the request (LIFECYCLE.md): every state of the original,
-- what Issue card and Activate card write on the card, the name of each
-- audit row's transition, and the card's certificates.

-- All eleven states. Final: rejected, aborted, locked, expired, and failed
-- once production_cancelled is set.
ALTER TABLE cards DROP CONSTRAINT cards_state_check;
ALTER TABLE cards ADD CONSTRAINT cards_state_check CHECK (state IN (
    'registered', 'requested', 'approved', 'rejected', 'aborted', 'failed',
    'issued', 'active', 'inactive', 'locked', 'expired'));

--   valid_until            set when the card becomes issued (issue time plus
--                          the card type's validity); the expiry sweep reads it
--   production_generation  bumped once per production run (Issue card, each
--                          Repeat production): certificate serials derive
--                          from it, so a new run never reuses an old serial
--   production_run         the workflow run that bumped it last: a retried
--                          BeginIssue of the same run bumps nothing
--   station                the print station of the last production
--   chip_uid               the chip's readout, unique
--   production_cancelled   Cancel production: failed for good
ALTER TABLE cards
    ADD COLUMN valid_until timestamptz,
    ADD COLUMN production_generation integer NOT NULL DEFAULT 0,
    ADD COLUMN production_run text,
    ADD COLUMN station text,
    ADD COLUMN chip_uid text CONSTRAINT cards_chip_uid_unique UNIQUE,
    ADD COLUMN production_cancelled boolean NOT NULL DEFAULT false;

-- The expiry sweep pages through the cards that can expire, by valid_until.
CREATE INDEX cards_expiry ON cards (valid_until) WHERE state IN ('issued', 'active', 'inactive');
-- The multipleActive rule looks for a user's other active card of a type.
CREATE INDEX cards_active_by_user ON cards (user_id, card_type) WHERE state = 'active';

--   event        the transition's name ('request', 'issue', 'fail',
--                'activate', 'produce', 'cancel-production', ...) or the
--                approval step ('approve', 'reject', 'postpone'); NULL on
--                rows written before this migration
--   write_token  the operation's idempotency key: a retried transition
--                finds its row and writes nothing twice
ALTER TABLE card_events
    ADD COLUMN event text,
    ADD COLUMN write_token text;
CREATE UNIQUE INDEX card_events_write_token ON card_events (card_id, write_token) WHERE write_token IS NOT NULL;

-- A card's certificates, one per usage and production generation; public
-- material only (the keys never leave the card). status follows the card:
-- hold while issued or inactive, good while active, revoked for good.
CREATE TABLE card_certificates (
    card_id    uuid NOT NULL REFERENCES cards (id),
    usage      text NOT NULL
        CONSTRAINT card_certificates_usage_check CHECK (usage IN ('authentication', 'signing', 'encryption')),
    generation integer NOT NULL,
    serial     text NOT NULL CONSTRAINT card_certificates_serial_unique UNIQUE,
    status     text NOT NULL
        CONSTRAINT card_certificates_status_check CHECK (status IN ('hold', 'good', 'revoked')),
    reason     text NOT NULL DEFAULT '',
    not_after  timestamptz,
    pem        text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (card_id, usage, generation)
);

-- The holder's e-mails when the card is issued and when it is activated.
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated'));
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided', 'issued', 'activated'));

-- +goose Down
ALTER TABLE notification_outbox DROP CONSTRAINT notification_outbox_event_check;
ALTER TABLE notification_outbox ADD CONSTRAINT notification_outbox_event_check
    CHECK (event IN ('requested', 'reminder', 'decided'));
ALTER TABLE notifications DROP CONSTRAINT notifications_event_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_event_check
    CHECK (event IN ('requested', 'reminder', 'decided'));
DROP TABLE card_certificates;
DROP INDEX card_events_write_token;
ALTER TABLE card_events DROP COLUMN write_token, DROP COLUMN event;
DROP INDEX cards_active_by_user;
DROP INDEX cards_expiry;
ALTER TABLE cards
    DROP COLUMN production_cancelled,
    DROP COLUMN chip_uid,
    DROP COLUMN station,
    DROP COLUMN production_run,
    DROP COLUMN production_generation,
    DROP COLUMN valid_until;
ALTER TABLE cards DROP CONSTRAINT cards_state_check;
ALTER TABLE cards ADD CONSTRAINT cards_state_check CHECK (state IN ('requested', 'approved', 'rejected', 'aborted'));
