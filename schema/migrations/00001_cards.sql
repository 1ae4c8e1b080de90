-- +goose Up
-- The user directory that Identity Manager owns; cardflow only reads it, and
-- the starter can fill it for demos and tests.
CREATE TABLE users (
    id         text PRIMARY KEY,
    given_name text NOT NULL DEFAULT '',
    surname    text NOT NULL DEFAULT '',
    upn        text NOT NULL DEFAULT '',
    email      text NOT NULL DEFAULT '',
    state      text NOT NULL
);

CREATE TABLE cards (
    id                 uuid PRIMARY KEY,
    user_id            text NOT NULL REFERENCES users (id),
    card_type          text NOT NULL,
    common_name        text NOT NULL,
    upn                text NOT NULL,
    state              text NOT NULL
        CONSTRAINT cards_state_check CHECK (state IN ('requested', 'approved', 'rejected', 'aborted')),
    requested_by       text NOT NULL,
    workflow_id        text NOT NULL,
    approvals_required integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A user has at most one open request per card type; the database, not a
-- race-prone read-then-write, keeps this rule.
CREATE UNIQUE INDEX cards_one_open_request ON cards (user_id, card_type) WHERE state = 'requested';
-- starter list --state S --user U, newest first.
CREATE INDEX cards_by_state_user ON cards (state, user_id, created_at DESC);
CREATE INDEX cards_by_user ON cards (user_id, created_at DESC);

-- The audit trail: append-only, one row per state change.
CREATE TABLE card_events (
    id         bigserial PRIMARY KEY,
    card_id    uuid NOT NULL REFERENCES cards (id),
    at         timestamptz NOT NULL,
    actor      text NOT NULL,
    from_state text,
    to_state   text NOT NULL,
    comment    text NOT NULL DEFAULT ''
);
CREATE INDEX card_events_by_card ON card_events (card_id, id);

-- The approvals that led to a decision, written with the decision.
CREATE TABLE card_approvals (
    card_id uuid NOT NULL REFERENCES cards (id),
    actor   text NOT NULL,
    comment text NOT NULL DEFAULT '',
    at      timestamptz NOT NULL,
    PRIMARY KEY (card_id, actor)
);

-- Append-only means append-only: refuse UPDATE and DELETE on the audit trail.
-- +goose StatementBegin
CREATE FUNCTION card_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'card_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER card_events_append_only BEFORE UPDATE OR DELETE ON card_events
    FOR EACH ROW EXECUTE FUNCTION card_events_append_only();

-- +goose Down
DROP TABLE card_approvals;
DROP TABLE card_events;
DROP FUNCTION card_events_append_only();
DROP TABLE cards;
DROP TABLE users;
