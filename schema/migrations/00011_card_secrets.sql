-- +goose Up
-- A card's PIN and PUK, sealed (AES-256-GCM under CARDS_SECRET_KEYS, bound
-- to the card and the kind; internal/secrets): never in clear at rest. One
-- row per card and kind, written once: a retried or repeated production
-- keeps the first secrets. The PIN's row is deleted once the PIN is
-- delivered; the PUK's stays for an operator-assisted unblock.
CREATE TABLE card_secrets (
    card_id    uuid NOT NULL REFERENCES cards (id),
    kind       text NOT NULL CONSTRAINT card_secrets_kind_check CHECK (kind IN ('pin', 'puk')),
    key_id     text NOT NULL,
    box        bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (card_id, kind)
);

-- How and where a card's PIN went (a PIN letter's file, an e-mail address,
-- or none), recorded once: a retried delivery that finds its row delivers
-- nothing again. It holds no PIN.
CREATE TABLE pin_deliveries (
    card_id      uuid PRIMARY KEY REFERENCES cards (id),
    method       text NOT NULL CONSTRAINT pin_deliveries_method_check CHECK (method IN ('letter', 'email', 'none')),
    delivered_at timestamptz NOT NULL DEFAULT now(),
    location     text NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE pin_deliveries;
DROP TABLE card_secrets;
