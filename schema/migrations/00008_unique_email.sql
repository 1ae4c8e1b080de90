-- +goose Up
-- E-mail addresses are unique in the directory, ignoring case: the console
-- finds the signed-in person by the address the identity provider vouches
-- for, and an address two users share would lock that person out. An empty
-- address (no e-mail) may repeat.
--
-- A directory that already holds a shared address cannot get the index; say
-- which addresses and users, and what to do, instead of a bare "could not
-- create unique index". The migration runs in one transaction, so nothing
-- changes until the duplicates are resolved and `worker migrate` runs again.
-- +goose StatementBegin
DO $$
DECLARE
    shared text;
BEGIN
    SELECT string_agg(holders, '; ' ORDER BY address)
      INTO shared
      FROM (SELECT lower(email) AS address,
                   lower(email) || ' held by ' || string_agg(format('%s (%s)', id, email), ', ' ORDER BY id) AS holders
              FROM users
             WHERE email <> ''
             GROUP BY lower(email)
            HAVING count(*) > 1) AS duplicates;
    IF shared IS NOT NULL THEN
        RAISE EXCEPTION 'cannot make e-mail addresses unique (ignoring case): several users share an address: %. Give each of them their own address, or clear the wrong one (UPDATE users SET email = '''' WHERE id = ...), then run worker migrate again', shared
            USING ERRCODE = 'unique_violation';
    END IF;
END
$$;
-- +goose StatementEnd
-- Partial, so it cannot serve the console's look-up (users_by_email does).
CREATE UNIQUE INDEX users_email_unique ON users (lower(email)) WHERE email <> '';

-- +goose Down
DROP INDEX users_email_unique;
