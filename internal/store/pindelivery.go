package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PINDelivery is how and where a card's PIN went: never the PIN.
type PINDelivery struct {
	CardID string `db:"card_id"`
	// Method is letter, email or none (the card type's pinDelivery).
	Method string `db:"method"`
	// Location is the PIN letter's file, "e-mail to <address>", or empty.
	Location    string    `db:"location"`
	DeliveredAt time.Time `db:"delivered_at"`
}

// RecordPINDelivery records a card's PIN delivery, once: when the card has
// one recorded already (a retried activity) it writes nothing and returns
// the stored one with created false.
func (s *Store) RecordPINDelivery(ctx context.Context, d PINDelivery) (stored PINDelivery, created bool, err error) {
	err = s.DB.GetContext(ctx, &stored, `
		INSERT INTO pin_deliveries (card_id, method, location, delivered_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (card_id) DO NOTHING
		RETURNING card_id, method, location, delivered_at`, d.CardID, d.Method, d.Location, d.DeliveredAt)
	switch {
	case err == nil:
		s.writes.Add(1)
		return stored, true, nil
	case errors.Is(err, sql.ErrNoRows):
		stored, _, err = s.PINDelivery(ctx, d.CardID)
		return stored, false, err
	}
	return PINDelivery{}, false, fmt.Errorf("record the PIN delivery of card %s: %w", d.CardID, err)
}

// PINDelivery reads how a card's PIN was delivered; found is false while it
// is not.
func (s *Store) PINDelivery(ctx context.Context, cardID string) (d PINDelivery, found bool, err error) {
	s.reads.Add(1)
	err = s.DB.GetContext(ctx, &d, `SELECT card_id, method, location, delivered_at FROM pin_deliveries WHERE card_id = $1`, cardID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return PINDelivery{}, false, nil
	case err != nil:
		return PINDelivery{}, false, fmt.Errorf("read the PIN delivery of card %s: %w", cardID, err)
	}
	return d, true, nil
}

// CardNumber is the number a card was given when first produced; empty
// while it has none. ErrNoRows when there is no such card.
func (s *Store) CardNumber(ctx context.Context, cardID string) (string, error) {
	s.reads.Add(1)
	var number sql.NullString
	err := s.DB.QueryRowContext(ctx, `SELECT card_number FROM cards WHERE id = $1`, cardID).Scan(&number)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", ErrNoRows
	case err != nil:
		return "", fmt.Errorf("read the number of card %s: %w", cardID, err)
	}
	return number.String, nil
}
