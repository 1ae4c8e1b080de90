package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// uniqueEmailIndex is the unique index on lower(email) (migration 00008).
const uniqueEmailIndex = "users_email_unique"

// EmailTakenError refuses an e-mail address that another directory user
// already has (ignoring case): the console finds a signed-in person by their
// address, and a shared one would lock that person out.
type EmailTakenError struct {
	// Email is the refused address, as given.
	Email string
	// UserID is the user who was to get it; Holder is the one who has it.
	UserID, Holder string
}

// Error names the holder and what to do.
func (e *EmailTakenError) Error() string {
	return fmt.Sprintf("e-mail address %s is already the address of user %s (addresses are unique, ignoring case): give %s another address, or change %s's first",
		e.Email, e.Holder, e.UserID, e.Holder)
}

// emailTaken turns the unique index's refusal of u's address into an
// *EmailTakenError naming the holder; any other error is returned as it is.
// It reads through s.DB, not the failed transaction.
func (s *Store) emailTaken(ctx context.Context, userID, email string, err error) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" || pqErr.Constraint != uniqueEmailIndex {
		return err
	}
	var holder string
	if findErr := s.DB.GetContext(ctx, &holder, `SELECT id FROM users WHERE lower(email) = lower($1) AND id <> $2 ORDER BY id LIMIT 1`, email, userID); findErr != nil {
		return fmt.Errorf("%w (and reading who holds the address failed: %v)", err, findErr)
	}
	return &EmailTakenError{Email: email, UserID: userID, Holder: holder}
}
