package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
)

// Move is one transition of the card lifecycle (LIFECYCLE.md): from one of
// From to To, with its audit row, in one statement.
type Move struct {
	CardID string
	// From are the states the transition allows; the statement is guarded
	// by them (and by production_cancelled, which makes a failed card final).
	From []cards.State
	To   cards.State
	// Event is the transition's name for card_events.event: issue, fail,
	// activate, cancel-production, ...
	Event   string
	Actor   string
	Comment string
	At      time.Time
	// Token is the operation's idempotency key (required): the audit row
	// carries it, and a Move that finds its token already written returns
	// the card unchanged, whatever its state is now. So a retry is harmless
	// even for a transition from a state to itself (failed → failed).
	Token string
	// ValidUntil, ChipUID and Station, when set, are stored with the move
	// (CompleteIssue).
	ValidUntil *time.Time
	ChipUID    string
	Station    string
	// NoOtherActive adds the multipleActive rule: the move is refused while
	// another card of the same user and card type is active. Moves with it
	// are serialised per user and card type, so two activations at once
	// cannot both win.
	NoOtherActive bool
	// CancelProduction sets production_cancelled (Cancel production).
	CancelProduction bool
	// Notify, when set, is queued in the notification outbox in the same
	// statement, and only if the move happened.
	Notify *OutboxEvent
}

// ErrInvalidState refuses a Move or BeginProduction that the card's state
// does not allow; CancelledProduction says the card is failed for good.
type ErrInvalidState struct {
	State               cards.State
	CancelledProduction bool
}

func (e *ErrInvalidState) Error() string {
	if e.CancelledProduction {
		return fmt.Sprintf("card is %s and its production was cancelled", e.State)
	}
	return fmt.Sprintf("card is %s", e.State)
}

// ErrAnotherActiveCard refuses a Move with NoOtherActive: CardID is the
// user's active card of the type.
type ErrAnotherActiveCard struct{ CardID string }

func (e *ErrAnotherActiveCard) Error() string {
	return "the user already has an active card of this type: " + e.CardID
}

// moveSQL moves card $1 from one of $2 to $3 with its audit row and queued
// e-mail. The FROM subquery locks the card and yields its state as it is
// when locked (a concurrent move is waited for and re-checked), which the
// audit row records as from_state. The token's audit row ($8) makes a
// retry write nothing; its unique index stops a concurrent duplicate.
var moveSQL = `
	WITH old AS (
		SELECT id, state, user_id, card_type FROM cards
		WHERE id = $1 AND state = ANY($2::text[]) AND NOT production_cancelled
		FOR UPDATE
	), upd AS (
		UPDATE cards c SET state = $3, updated_at = $4, write_token = $9,
			valid_until = COALESCE($10, c.valid_until),
			chip_uid = COALESCE(NULLIF($11, ''), c.chip_uid),
			station = COALESCE(NULLIF($12, ''), c.station),
			production_cancelled = c.production_cancelled OR $13
		FROM old
		WHERE c.id = old.id
		  AND NOT EXISTS (SELECT 1 FROM card_events e WHERE e.card_id = $1 AND e.write_token = $8)
		  AND (NOT $14 OR NOT EXISTS (SELECT 1 FROM cards o
			WHERE o.user_id = old.user_id AND o.card_type = old.card_type AND o.state = 'active' AND o.id <> old.id))
		RETURNING ` + cardColumnsOf("c") + `, old.state AS from_state
	), event AS (
		INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event, write_token)
		SELECT id, $4, $5, from_state, state, $6, $7, $8 FROM upd
	), outbox AS (
		INSERT INTO notification_outbox (card_id, event, input)
		SELECT id, $15, $16::jsonb FROM upd WHERE $15::text IS NOT NULL
		ON CONFLICT (card_id, event) DO NOTHING
	)
	SELECT ` + cardColumns + ` FROM upd`

// lockUserTypeSQL serialises moves under the multipleActive rule for the
// user and card type of card $1, until the transaction ends. It runs before
// moveSQL, whose snapshot then sees any activation that committed first.
const lockUserTypeSQL = `
	SELECT pg_advisory_xact_lock(hashtextextended('cards.active:' || user_id || ':' || card_type, 0))
	FROM cards WHERE id = $1`

// Move applies m: one statement guarded by m.From (and, with
// m.NoOtherActive, by the user's other active cards), its audit row
// (m.Event, m.Token) and m.Notify, together or not at all. changed is false
// when the token was already written (a retry): the card is returned as it
// is now and nothing is written. Errors: *ErrInvalidState,
// *ErrAnotherActiveCard, ErrNoRows (no such card).
func (s *Store) Move(ctx context.Context, m Move) (c Card, changed bool, err error) {
	if m.Token == "" || m.Event == "" || m.To == "" || len(m.From) == 0 {
		return Card{}, false, fmt.Errorf("move card %s: token, event, from and to are required", m.CardID)
	}
	event, input := outboxArgs(m.Notify)
	call := uuid.NewString()
	args := []any{m.CardID, stateArray(m.From), m.To, m.At, m.Actor, m.Comment, m.Event, m.Token, call,
		m.ValidUntil, m.ChipUID, m.Station, m.CancelProduction, m.NoOtherActive, event, input}
	if m.NoOtherActive {
		err = s.inTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, lockUserTypeSQL, m.CardID); err != nil {
				return err
			}
			return tx.GetContext(ctx, &c, moveSQL, args...)
		})
	} else {
		err = s.DB.GetContext(ctx, &c, moveSQL, args...)
	}
	switch {
	case err == nil:
		s.writes.Add(1)
		return c, true, nil
	case isUniqueViolation(err, "card_events_write_token"):
		// A concurrent call with the same token wrote first.
	case isUniqueViolation(err, "cards_chip_uid_unique"):
		return Card{}, false, fmt.Errorf("move card %s to %s: chip %s: %w", m.CardID, m.To, m.ChipUID, ErrChipUIDTaken)
	case !errors.Is(err, sql.ErrNoRows):
		return Card{}, false, fmt.Errorf("move card %s to %s: %w", m.CardID, m.To, err)
	}
	return s.whyNotMoved(ctx, m, call)
}

// whyNotMoved explains a Move that changed nothing: its token was written
// (by a retry's first attempt, or by this call when its answer was lost and
// the driver ran it again), or the card's state, cancelled production or
// another active card refused it, or there is no such card.
func (s *Store) whyNotMoved(ctx context.Context, m Move, call string) (Card, bool, error) {
	s.reads.Add(1)
	var row struct {
		Card
		Mine    bool           `db:"mine"`
		Written bool           `db:"written"`
		Active  sql.NullString `db:"active"`
	}
	err := s.DB.GetContext(ctx, &row, `
		SELECT `+cardColumns+`, write_token IS NOT DISTINCT FROM $3::uuid AS mine,
			EXISTS (SELECT 1 FROM card_events e WHERE e.card_id = c.id AND e.write_token = $2) AS written,
			(SELECT o.id::text FROM cards o WHERE o.user_id = c.user_id AND o.card_type = c.card_type
				AND o.state = 'active' AND o.id <> c.id ORDER BY o.updated_at LIMIT 1) AS active
		FROM cards c WHERE id = $1`, m.CardID, m.Token, call)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Card{}, false, ErrNoRows
	case err != nil:
		return Card{}, false, fmt.Errorf("read card %s: %w", m.CardID, err)
	case row.Written:
		return row.Card, row.Mine, nil
	case row.ProductionCancelled || !slices.Contains(m.From, row.State):
		return row.Card, false, &ErrInvalidState{State: row.State, CancelledProduction: row.ProductionCancelled}
	case m.NoOtherActive && row.Active.Valid:
		return row.Card, false, &ErrAnotherActiveCard{CardID: row.Active.String}
	}
	// The card changed between the statement and this read (a concurrent
	// move came and went): worth a retry.
	return row.Card, false, fmt.Errorf("move card %s to %s: the card changed meanwhile (now %s); retry", m.CardID, m.To, row.State)
}

// ErrChipUIDTaken refuses a Move whose ChipUID is already another card's:
// one chip cannot be two cards.
var ErrChipUIDTaken = errors.New("the chip UID is already another card's")

// inTx runs f in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sqlx.Tx) error) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports whether err is PostgreSQL's unique violation
// of constraint (or unique index) name.
func isUniqueViolation(err error, name string) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == name
}
