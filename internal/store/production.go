package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/cards"
)

// EventProduce names the audit row of a production start (card_events.event):
// the card keeps its state, the row says which run, generation and station.
const EventProduce = "produce"

// BeginProduction starts (or repeats) a card's production.
type BeginProduction struct {
	CardID string
	// From are the states production may start from (approved, registered;
	// failed for Repeat production).
	From []cards.State
	// RunID is the workflow run: the generation is bumped once per run.
	RunID   string
	Station string
	// Prefix is the card type's number prefix, for a card without a number.
	Prefix string
	Actor  string
	At     time.Time
}

// lockForProductionSQL locks the card and reads what BeginProduction
// decides on, before the update: with the row locked first, the update's
// own snapshot sees the card as it is, so next_card_number is evaluated
// once, on the card as locked, and never again by a re-check (which would
// take a number and leave a gap).
const lockForProductionSQL = `
	SELECT state, production_cancelled, production_run IS NOT DISTINCT FROM $2 AS same_run
	FROM cards WHERE id = $1 FOR UPDATE`

// beginProductionSQL gives card $1 its number (once: COALESCE evaluates
// next_card_number only for a card without one), the next generation, the
// run and the station, with the audit row (event produce, from = to).
var beginProductionSQL = `
	WITH upd AS (
		UPDATE cards SET card_number = COALESCE(card_number, next_card_number($2)),
			production_generation = production_generation + 1,
			production_run = $3, station = $4, updated_at = $5
		WHERE id = $1
		RETURNING ` + cardColumns + `
	), event AS (
		INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event, write_token)
		SELECT id, $5, $6, state, state,
			format('production %s of card number %s at station %s', production_generation, card_number, station),
			'` + EventProduce + `', 'produce/' || $3
		FROM upd
	)
	SELECT ` + cardColumns + ` FROM upd`

// BeginProduction starts production run b.RunID of the card, in one
// transaction: guarded by b.From and by production not cancelled, it gives
// the card its number (once per card: a retry or a repeated production keeps
// it), bumps production_generation and records the run and the station,
// with an audit row. A call for the run already recorded returns the card
// as it is and writes nothing, so a retried activity bumps nothing twice.
// Errors: *ErrInvalidState, ErrNoRows.
func (s *Store) BeginProduction(ctx context.Context, b BeginProduction) (Card, error) {
	if b.RunID == "" || len(b.From) == 0 {
		return Card{}, fmt.Errorf("begin production of card %s: run id and from states are required", b.CardID)
	}
	if err := cardnumber.ValidPrefix(b.Prefix); err != nil {
		return Card{}, err
	}
	var c Card
	wrote := false
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var row struct {
			State     cards.State `db:"state"`
			Cancelled bool        `db:"production_cancelled"`
			SameRun   bool        `db:"same_run"`
		}
		if err := tx.GetContext(ctx, &row, lockForProductionSQL, b.CardID, b.RunID); err != nil {
			return err
		}
		if row.SameRun {
			return tx.GetContext(ctx, &c, `SELECT `+cardColumns+` FROM cards WHERE id = $1`, b.CardID)
		}
		if row.Cancelled || !slices.Contains(b.From, row.State) {
			return &ErrInvalidState{State: row.State, CancelledProduction: row.Cancelled}
		}
		wrote = true
		return tx.GetContext(ctx, &c, beginProductionSQL, b.CardID, b.Prefix, b.RunID, b.Station, b.At, b.Actor)
	})
	var invalid *ErrInvalidState
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Card{}, ErrNoRows
	case errors.As(err, &invalid):
		return Card{}, err
	case err != nil:
		return Card{}, fmt.Errorf("begin production of card %s: %w", b.CardID, err)
	}
	if wrote {
		s.writes.Add(1)
	} else {
		s.reads.Add(1)
	}
	return c, nil
}

// stateArray is states as a text[] parameter.
func stateArray(states []cards.State) any {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = string(st)
	}
	return pq.Array(out)
}
