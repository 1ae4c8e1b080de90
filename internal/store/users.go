package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cardflow/cardflow/internal/cards"
)

// ErrNoRows is returned when a looked-up row does not exist.
var ErrNoRows = sql.ErrNoRows

// User returns the user with id and its roles, or ErrNoRows.
func (s *Store) User(ctx context.Context, id string) (cards.User, error) {
	s.reads.Add(1)
	var row userRow
	err := s.getPrepared(ctx, &row, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return cards.User{}, ErrNoRows
	}
	if err != nil {
		return cards.User{}, fmt.Errorf("read user %s: %w", id, err)
	}
	return row.user(), nil
}

const upsertUserSQL = `
		INSERT INTO users (id, given_name, surname, upn, email, state)
		VALUES (:id, :given_name, :surname, :upn, :email, :state)
		ON CONFLICT (id) DO UPDATE SET given_name = EXCLUDED.given_name, surname = EXCLUDED.surname,
			upn = EXCLUDED.upn, email = EXCLUDED.email, state = EXCLUDED.state`

// UpsertUser creates or replaces a user of the directory, leaving its roles
// as they are (UpsertUserWithRoles replaces them too).
func (s *Store) UpsertUser(ctx context.Context, u cards.User) error {
	_, err := s.DB.NamedExecContext(ctx, upsertUserSQL, u)
	if err != nil {
		return fmt.Errorf("upsert user %s: %w", u.ID, s.emailTaken(ctx, u.ID, u.Email, err))
	}
	s.writes.Add(1)
	return nil
}
