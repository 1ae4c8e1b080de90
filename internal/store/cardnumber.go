package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/cardflow/cardflow/internal/cardnumber"
)

// assignCardNumberSQL gives card $1 a number from range $2 unless it has one,
// and returns the card's number.
//
// The number is taken in the statement that stores it, through
// COALESCE(card_number, next_card_number(...)): COALESCE evaluates the
// allocation only for a card without a number, so a retry keeps the first
// one. The card row is locked (the CTE) before the allocation is evaluated:
// a second assignment of the same card waits for the first, then reads the
// number it stored instead of taking a new one that the re-checked update
// would throw away, leaving a gap. The state change that produces the card
// will carry the same COALESCE in its own statement.
const assignCardNumberSQL = `
	WITH locked AS (SELECT card_number FROM cards WHERE id = $1 FOR UPDATE)
	UPDATE cards SET card_number = COALESCE((SELECT card_number FROM locked), next_card_number($2))
	WHERE id = $1
	RETURNING card_number`

// AssignCardNumber gives the card a number from the prefix's range, once:
// a card that has a number keeps it and gets it back. ErrNoRows when there is
// no such card.
func (s *Store) AssignCardNumber(ctx context.Context, cardID, prefix string) (string, error) {
	number, err := assignCardNumber(ctx, s.DB, cardID, prefix)
	if err == nil {
		s.writes.Add(1)
	}
	return number, err
}

// assignCardNumber runs the assignment on q: the pool, or a transaction
// (tests roll some back).
func assignCardNumber(ctx context.Context, q sqlx.QueryerContext, cardID, prefix string) (string, error) {
	if err := cardnumber.ValidPrefix(prefix); err != nil {
		return "", err
	}
	var number string
	err := q.QueryRowxContext(ctx, assignCardNumberSQL, cardID, prefix).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNoRows
	}
	if err != nil {
		return "", fmt.Errorf("assign a card number (prefix %q) to card %s: %w", prefix, cardID, err)
	}
	return number, nil
}
