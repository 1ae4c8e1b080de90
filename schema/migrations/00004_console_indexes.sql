-- +goose Up
-- The console's Cards page pages through cards newest first (keyset on
-- created_at, id), unfiltered or filtered by card type; the indexes of
-- 00001 serve the state and user filters.
CREATE INDEX cards_by_created ON cards (created_at DESC, id DESC);
CREATE INDEX cards_by_type ON cards (card_type, created_at DESC, id DESC);
-- The console finds the signed-in person by the e-mail address the identity
-- provider vouches for, ignoring case.
CREATE INDEX users_by_email ON users (lower(email));

-- +goose Down
DROP INDEX users_by_email;
DROP INDEX cards_by_type;
DROP INDEX cards_by_created;
