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

// User returns the user with id, or ErrNoRows.
func (s *Store) User(ctx context.Context, id string) (cards.User, error) {
	s.reads.Add(1)
	var u cards.User
	err := s.DB.GetContext(ctx, &u, `SELECT id, given_name, surname, upn, email, state FROM users WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNoRows
	}
	if err != nil {
		return u, fmt.Errorf("read user %s: %w", id, err)
	}
	return u, nil
}

// UpsertUser creates or replaces a user of the directory.
func (s *Store) UpsertUser(ctx context.Context, u cards.User) error {
	_, err := s.DB.NamedExecContext(ctx, `
		INSERT INTO users (id, given_name, surname, upn, email, state)
		VALUES (:id, :given_name, :surname, :upn, :email, :state)
		ON CONFLICT (id) DO UPDATE SET given_name = EXCLUDED.given_name, surname = EXCLUDED.surname,
			upn = EXCLUDED.upn, email = EXCLUDED.email, state = EXCLUDED.state`, u)
	if err != nil {
		return fmt.Errorf("upsert user %s: %w", u.ID, err)
	}
	s.writes.Add(1)
	return nil
}
