-- +goose Up
-- The web console's sign-in sessions (github.com/alexedwards/scs with its
-- postgresstore): a session survives a console restart and several console
-- instances share them. Expired rows are removed by the console.
CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- +goose Down
DROP TABLE sessions;
