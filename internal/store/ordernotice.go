package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OrderNotice builds the e-mail to queue when an order moves to a state
// (the order as written), or nil for none.
type OrderNotice func(o Order) (*OutboxEvent, error)

// SetOrderStateNotify is SetOrderState that also queues notice's e-mail in
// the same transaction, only when the order moved into state now: a
// retried activity, or an order already in the state, queues nothing
// again (and the outbox keeps one row per order and event besides).
// queued says whether a row was queued.
func (s *Store) SetOrderStateNotify(ctx context.Context, orderID, state string, at time.Time, notice OrderNotice) (o Order, queued bool, err error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, false, fmt.Errorf("set order %s %s: %w", orderID, state, err)
	}
	defer func() { _ = tx.Rollback() }()
	var before string
	err = tx.GetContext(ctx, &before, `SELECT state FROM orders WHERE id = $1 FOR UPDATE`, orderID)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, false, ErrNoRows
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("set order %s %s: %w", orderID, state, err)
	}
	err = tx.GetContext(ctx, &o, `UPDATE orders SET state = $2, updated_at = GREATEST(updated_at, $3)
		WHERE id = $1 AND (state = $2 OR state NOT IN ('completed', 'cancelled'))
		RETURNING `+orderColumns, orderID, state, at)
	if errors.Is(err, sql.ErrNoRows) {
		_ = tx.Rollback()
		stored, readErr := s.Order(ctx, orderID)
		if readErr != nil {
			return Order{}, false, readErr
		}
		return stored, false, &ErrOrderFinal{Order: stored}
	}
	if err != nil {
		return Order{}, false, fmt.Errorf("set order %s %s: %w", orderID, state, err)
	}
	if before != state && notice != nil {
		ev, err := notice(o)
		if err != nil {
			return Order{}, false, err
		}
		if ev != nil {
			res, err := tx.ExecContext(ctx, `INSERT INTO notification_outbox (card_id, event, input) VALUES ($1, $2, $3::jsonb)
				ON CONFLICT (card_id, event) DO NOTHING`, orderID, ev.Event, string(ev.Input))
			if err != nil {
				return Order{}, false, fmt.Errorf("queue the %s e-mail of order %s: %w", ev.Event, orderID, err)
			}
			n, _ := res.RowsAffected()
			queued = n == 1
		}
	}
	if err := tx.Commit(); err != nil {
		return Order{}, false, fmt.Errorf("set order %s %s: %w", orderID, state, err)
	}
	s.writes.Add(1)
	return o, queued, nil
}
