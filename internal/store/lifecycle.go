package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ActiveCardOf returns the id of the user's active card of cardType other
// than exceptCardID, or "" when there is none: what the multipleActive rule
// names before an activation (Move with NoOtherActive enforces it).
func (s *Store) ActiveCardOf(ctx context.Context, userID, cardType, exceptCardID string) (string, error) {
	s.reads.Add(1)
	var id string
	err := s.DB.GetContext(ctx, &id, `SELECT id::text FROM cards
		WHERE user_id = $1 AND card_type = $2 AND state = 'active' AND id::text <> $3
		ORDER BY updated_at LIMIT 1`, userID, cardType, exceptCardID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the active %s card of user %s: %w", cardType, userID, err)
	}
	return id, nil
}

// ProductionStartedAt returns when the card's last production run began
// (its latest produce audit row), or ErrNoRows when it was never produced:
// the time a card's validity counts from.
func (s *Store) ProductionStartedAt(ctx context.Context, cardID string) (time.Time, error) {
	s.reads.Add(1)
	var at time.Time
	err := s.DB.GetContext(ctx, &at, `SELECT at FROM card_events WHERE card_id = $1 AND event = $2 ORDER BY id DESC LIMIT 1`, cardID, EventProduce)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, ErrNoRows
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read the production start of card %s: %w", cardID, err)
	}
	return at, nil
}
