-- +goose Up
-- Roles live in the directory: one row per role a user holds. The workflow
-- reads them when a request or a decision arrives, so a role removed after a
-- request no longer counts.
CREATE TABLE user_roles (
    user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    text NOT NULL CONSTRAINT user_roles_role_not_blank CHECK (btrim(role) <> ''),
    PRIMARY KEY (user_id, role)
);
-- Who holds a role: the console's inbox and the approvers' e-mails.
CREATE INDEX user_roles_by_role ON user_roles (role, user_id);

-- +goose Down
DROP TABLE user_roles;
