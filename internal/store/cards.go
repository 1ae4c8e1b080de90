package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
)

// Card is a row of the cards table.
type Card struct {
	ID                string      `db:"id"`
	UserID            string      `db:"user_id"`
	CardType          string      `db:"card_type"`
	CommonName        string      `db:"common_name"`
	UPN               string      `db:"upn"`
	State             cards.State `db:"state"`
	RequestedBy       string      `db:"requested_by"`
	WorkflowID        string      `db:"workflow_id"`
	ApprovalsRequired int         `db:"approvals_required"`
	CreatedAt         time.Time   `db:"created_at"`
	UpdatedAt         time.Time   `db:"updated_at"`
	// CardNumber is empty until the card is first produced.
	CardNumber string `db:"card_number"`
	// ValidUntil is set when the card becomes issued.
	ValidUntil *time.Time `db:"valid_until"`
	// ProductionGeneration counts production runs (0: never produced);
	// certificate serials derive from it.
	ProductionGeneration int `db:"production_generation"`
	// Station is the print station of the last production, ChipUID the
	// chip's readout once issued; empty before.
	Station string `db:"station"`
	ChipUID string `db:"chip_uid"`
	// ProductionCancelled makes a failed card final (Cancel production).
	ProductionCancelled bool `db:"production_cancelled"`
}

// cardColumnsOf lists the columns every card query returns, of table alias
// t (empty: unqualified). The nullable text columns read as empty strings,
// so Card needs no sql.NullString; the aliases keep the names, so the list
// works in RETURNING and over a CTE.
func cardColumnsOf(t string) string {
	if t != "" {
		t += "."
	}
	return strings.ReplaceAll(`{t}id, {t}user_id, {t}card_type, {t}common_name, {t}upn, {t}state, {t}requested_by, {t}workflow_id, `+
		`{t}approvals_required, {t}created_at, {t}updated_at, COALESCE({t}card_number, '') AS card_number, {t}valid_until, `+
		`{t}production_generation, COALESCE({t}station, '') AS station, COALESCE({t}chip_uid, '') AS chip_uid, {t}production_cancelled`, "{t}", t)
}

// cardColumns is cardColumnsOf the cards table unqualified.
var cardColumns = cardColumnsOf("")

// ErrOpenRequestExists is returned by InsertCard when the user already has an
// open request for the card type.
type ErrOpenRequestExists struct{ OpenCardID string }

func (e *ErrOpenRequestExists) Error() string {
	return fmt.Sprintf("an open request for this user and card type already exists: %s", e.OpenCardID)
}

// ErrUserMissing is returned by InsertCard when the user left the directory
// between the check and the insert.
var ErrUserMissing = errors.New("user does not exist")

// ErrCardIDTaken is returned by InsertCard when the id names another request.
var ErrCardIDTaken = errors.New("card id already used by a different request")

// InsertCard writes a new card and its first audit event in one transaction.
// It is idempotent: if the card already exists with the same user and type (a
// retried activity, a duplicate delivery), it returns the stored card and
// writes nothing; created says which happened.
func (s *Store) InsertCard(ctx context.Context, c Card, at time.Time) (stored Card, created bool, err error) {
	return s.InsertCardQueuing(ctx, c, at, nil)
}

// InsertCardQueuing is InsertCard that also queues notify (when not nil) in
// the notification outbox, in the same statement: the e-mail is queued if
// and only if this call wrote the card, so a retry that finds the card
// already written queues nothing, and a write that fails queues nothing.
// created is also true when this call's statement wrote the card but its
// answer was lost and the driver ran it again (a connection closed after
// the commit): the write carries a token of the call, which the re-run
// finds.
func (s *Store) InsertCardQueuing(ctx context.Context, c Card, at time.Time, notify *OutboxEvent) (stored Card, created bool, err error) {
	return s.InsertCardOpening(ctx, c, at, notify, nil)
}

// InsertCardOpening is InsertCardQueuing that also opens the card's
// approval (when open is not nil) in the same statement: Request card's
// approvals row is written if and only if this call wrote the card, so the
// approval process need not open it with a write of its own (issue 19's
// performance budget). open's CardID is the card's; CreatedAt defaults to at.
func (s *Store) InsertCardOpening(ctx context.Context, c Card, at time.Time, notify *OutboxEvent, open *Approval) (stored Card, created bool, err error) {
	event, input := outboxArgs(notify)
	token := uuid.NewString()
	var ap Approval
	if open != nil {
		ap = *open
		if ap.CreatedAt.IsZero() {
			ap.CreatedAt = at
		}
	}
	var operation *string
	if open != nil {
		operation = &ap.Operation
	}
	// One statement, so one transaction and one round trip: the card, its
	// first audit event and its queued e-mail are written together or not
	// at all.
	err = s.getPrepared(ctx, &stored, `
		WITH ins AS (
			INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, approvals_required, created_at, updated_at, write_token)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $14)
			ON CONFLICT (id) DO NOTHING
			RETURNING `+cardColumns+`
		), event AS (
			INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event)
			SELECT id, $10, $7, NULL, state,
				-- A card of a Request multiple cards order approved at once
				-- says so (the order's item names the card).
				COALESCE((SELECT 'requested in batch order ' || i.order_id || '; approved at once (batchRequestApproval: false)'
					FROM order_items i WHERE i.card_id = ins.id AND ins.state = 'approved' LIMIT 1), $11),
				CASE WHEN state = 'registered' THEN 'register' ELSE 'request' END FROM ins
		), outbox AS (
			INSERT INTO notification_outbox (card_id, event, input)
			SELECT id, $12, $13::jsonb FROM ins WHERE $12::text IS NOT NULL
			ON CONFLICT (card_id, event) DO NOTHING
		), approval AS (
			INSERT INTO approvals (card_id, operation, workflow_id, run_id, approvals_required, approver_role, requested_by, holder_id, card_type, expires_at, created_at)
			SELECT id, $15::text, workflow_id, $16, $17, $18, requested_by, user_id, card_type, $19, $20 FROM ins WHERE $15::text IS NOT NULL
			ON CONFLICT (workflow_id, run_id) DO NOTHING
		)
		SELECT `+cardColumns+` FROM ins`,
		c.ID, c.UserID, c.CardType, c.CommonName, c.UPN, c.State, c.RequestedBy, c.WorkflowID, c.ApprovalsRequired, at, requestComment(c),
		event, input, token, operation, ap.RunID, ap.ApprovalsRequired, ap.ApproverRole, ap.ExpiresAt, ap.CreatedAt)
	switch {
	case err == nil:
		s.writes.Add(1)
		return stored, true, nil
	case errors.Is(err, sql.ErrNoRows):
		// Already there: written by this call's statement whose answer was
		// lost, or by an earlier call (a retry or a duplicate delivery),
		// when this call wrote nothing.
		var mine bool
		stored, mine, err = s.cardWrittenBy(ctx, c.ID, token)
		if err != nil {
			return Card{}, false, err
		}
		if stored.UserID != c.UserID || stored.CardType != c.CardType {
			return stored, false, ErrCardIDTaken
		}
		return stored, mine, nil
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code == "23505" && pqErr.Constraint == "cards_one_open_request":
			open, findErr := s.openCardID(ctx, c.UserID, c.CardType)
			if findErr != nil {
				return Card{}, false, findErr
			}
			return Card{}, false, &ErrOpenRequestExists{OpenCardID: open}
		case pqErr.Code == "23503" && pqErr.Constraint == "cards_user_id_fkey":
			return Card{}, false, ErrUserMissing
		}
	}
	return Card{}, false, fmt.Errorf("persist card %s: %w", c.ID, err)
}

func requestComment(c Card) string {
	if c.State == cards.StateRegistered {
		return "registered for production; Request card is disabled"
	}
	if c.State == cards.StateApproved {
		return "requested; no approval step for card type " + c.CardType
	}
	return fmt.Sprintf("requested; waiting for %d approval(s)", c.ApprovalsRequired)
}

func (s *Store) openCardID(ctx context.Context, userID, cardType string) (string, error) {
	s.reads.Add(1)
	var id string
	err := s.DB.GetContext(ctx, &id, `SELECT id FROM cards WHERE user_id = $1 AND card_type = $2 AND state = 'requested'`, userID, cardType)
	if errors.Is(err, sql.ErrNoRows) {
		// The open request was decided in the meantime: let the caller retry.
		return "", fmt.Errorf("open request for user %s and card type %s disappeared; retry", userID, cardType)
	}
	return id, err
}

// cardWrittenBy returns the card with id, or ErrNoRows, and whether its
// last write carried token.
func (s *Store) cardWrittenBy(ctx context.Context, id, token string) (Card, bool, error) {
	s.reads.Add(1)
	var row struct {
		Card
		Mine bool `db:"mine"`
	}
	err := s.DB.GetContext(ctx, &row, `SELECT `+cardColumns+`, write_token IS NOT DISTINCT FROM $2::uuid AS mine FROM cards WHERE id = $1`, id, token)
	if errors.Is(err, sql.ErrNoRows) {
		return row.Card, false, ErrNoRows
	}
	if err != nil {
		return row.Card, false, fmt.Errorf("read card %s: %w", id, err)
	}
	return row.Card, row.Mine, nil
}

// Card returns the card with id, or ErrNoRows.
func (s *Store) Card(ctx context.Context, id string) (Card, error) {
	s.reads.Add(1)
	var c Card
	err := s.DB.GetContext(ctx, &c, `SELECT `+cardColumns+` FROM cards WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoRows
	}
	if err != nil {
		return c, fmt.Errorf("read card %s: %w", id, err)
	}
	return c, nil
}

// Transition is a request to move a card from requested to a final state.
type Transition struct {
	CardID    string
	To        cards.State
	Actor     string
	Comment   string
	At        time.Time
	Approvals []cards.Approval
	// Notify, when set, is queued in the notification outbox with the
	// transition, in the same statement, and only if the transition
	// happened.
	Notify *OutboxEvent
	// CloseApproval, when set, closes the approval its workflow run opened
	// (InsertCardOpening), in the same statement: Request card's approvals
	// row ends with the decision's write instead of a write of its own.
	// The row is closed even when the card was decided otherwise first,
	// as the approval process's own close does. A row the backfill
	// migration wrote for a version-2 run (BackfilledRunID), whose run
	// closes no row, is closed by any transition of its card, with the
	// card's new state.
	CloseApproval *ApprovalClose
	// Vote, when set, is the vote that decided the approval (Request card
	// from version 4): its audit row is written in the same statement,
	// before the transition's, instead of by a RecordVote of its own, and
	// an approval counts on the closed row. A retry finds it by its token.
	Vote *Vote
}

// ApprovalClose names an open approval (by its workflow run) and the state
// it ends in (approved, rejected, timedOut, aborted).
type ApprovalClose struct {
	WorkflowID string
	RunID      string
	State      string
}

// ErrAlreadyFinal is returned by TransitionCard when the card reached a
// different final state first.
type ErrAlreadyFinal struct{ State cards.State }

func (e *ErrAlreadyFinal) Error() string {
	return fmt.Sprintf("card is already %s", e.State)
}

// TransitionCard moves a card from requested to t.To and appends the audit
// event and approvals (and queues t.Notify), in one transaction. The update is conditional on the
// card still being requested, so a retry after a commit whose answer was lost
// finds the card already in t.To and succeeds without writing twice.
// changed is false when the card was already in t.To (a retry); it is true
// when this call's statement moved it but its answer was lost and the driver
// ran it again (the write carries a token of the call, which the re-run
// finds).
func (s *Store) TransitionCard(ctx context.Context, t Transition) (c Card, changed bool, err error) {
	actors := make([]string, 0, len(t.Approvals))
	comments := make([]string, 0, len(t.Approvals))
	ats := make([]time.Time, 0, len(t.Approvals))
	for _, a := range t.Approvals {
		actors, comments, ats = append(actors, a.Actor), append(comments, a.Comment), append(ats, a.At)
	}
	event, input := outboxArgs(t.Notify)
	token := uuid.NewString()
	var closing ApprovalClose
	var closeState *string
	if t.CloseApproval != nil {
		closing = *t.CloseApproval
		closeState = &closing.State
	}
	// One statement, so one transaction and one round trip: the conditional
	// update, its audit event, the approvals, the queued e-mail and the
	// approval's close (or a backfilled row's). A transition that names no
	// approval to close (starter repair aborting a stranded card) closes
	// whatever request approval is still open on the card: it is over.
	var vote Vote
	var voteToken *string
	if t.Vote != nil {
		vote = *t.Vote
		voteToken = &vote.Token
	}
	err = s.getPrepared(ctx, &c, `
		WITH voted AS (
			INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event, write_token)
			SELECT id, $16, $17, state, state, $18, $19, $20::text FROM cards WHERE id = $1 AND $20::text IS NOT NULL
			ON CONFLICT (card_id, write_token) WHERE write_token IS NOT NULL DO NOTHING
			RETURNING id
		), upd AS (
			UPDATE cards SET state = $2, updated_at = $3, write_token = $11
			WHERE id = $1 AND state = 'requested'
			RETURNING `+cardColumns+`
		), event AS (
			-- After the deciding vote's row (the sub-select runs first), so
			-- the audit trail, in id order, shows the vote, then the change.
			INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event)
			SELECT id, $3, $4, 'requested', state, $5,
				CASE state WHEN 'approved' THEN 'approve' WHEN 'rejected' THEN 'reject' ELSE 'abort' END FROM upd
			WHERE (SELECT count(*) FROM voted) >= 0
		), approvals AS (
			INSERT INTO card_approvals (card_id, actor, comment, at)
			SELECT upd.id, a.actor, a.comment, a.at
			FROM upd, unnest($6::text[], $7::text[], $8::timestamptz[]) AS a(actor, comment, at)
			ON CONFLICT (card_id, actor) DO NOTHING
		), outbox AS (
			INSERT INTO notification_outbox (card_id, event, input)
			SELECT id, $9, $10::jsonb FROM upd WHERE $9::text IS NOT NULL
			ON CONFLICT (card_id, event) DO NOTHING
		), closed AS (
			UPDATE approvals SET state = $12::text, closed_at = $3,
				approved_by = CASE WHEN $19::text = 'approve' AND NOT ($17::text = ANY (approved_by)) THEN approved_by || $17::text ELSE approved_by END
			WHERE $12::text IS NOT NULL AND workflow_id = $13 AND run_id = $14 AND card_id = $1 AND state = 'open'
		), backfilled AS (
			UPDATE approvals a SET closed_at = $3,
				state = CASE upd.state WHEN 'approved' THEN 'approved' WHEN 'rejected' THEN 'rejected' ELSE 'aborted' END
			FROM upd
			WHERE a.card_id = upd.id AND a.operation = 'request' AND a.state = 'open'
				AND (a.run_id = $15 OR $12::text IS NULL)
		)
		SELECT `+cardColumns+` FROM upd`,
		t.CardID, t.To, t.At, t.Actor, t.Comment, pq.Array(actors), pq.Array(comments), pq.Array(ats), event, input, token,
		closeState, closing.WorkflowID, closing.RunID, BackfilledRunID,
		vote.At, vote.Actor, vote.Comment, vote.Kind, voteToken)
	switch {
	case err == nil:
		s.writes.Add(1)
		return c, true, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Card{}, false, fmt.Errorf("transition card %s to %s: %w", t.CardID, t.To, err)
	}
	// Nothing was requested: this call's statement run again after its
	// answer was lost, a retry after a lost answer, a card decided
	// otherwise, or no such card.
	c, mine, err := s.cardWrittenBy(ctx, t.CardID, token)
	if err != nil {
		return Card{}, false, err
	}
	if c.State != t.To {
		return c, false, &ErrAlreadyFinal{State: c.State}
	}
	return c, mine, nil
}

// Event is a row of the audit trail.
type Event struct {
	ID        int64          `db:"id"`
	CardID    string         `db:"card_id"`
	At        time.Time      `db:"at"`
	Actor     string         `db:"actor"`
	FromState sql.NullString `db:"from_state"`
	ToState   string         `db:"to_state"`
	Comment   string         `db:"comment"`
	// Transition is the row's event column: the transition's name
	// (request, issue, fail, activate, produce, ...); empty on rows written
	// before it existed.
	Transition string `db:"event"`
}

// Events returns a card's audit trail, oldest first.
func (s *Store) Events(ctx context.Context, cardID string) ([]Event, error) {
	s.reads.Add(1)
	var events []Event
	err := s.DB.SelectContext(ctx, &events, `SELECT id, card_id, at, actor, from_state, to_state, comment, COALESCE(event, '') AS event FROM card_events WHERE card_id = $1 ORDER BY id`, cardID)
	return events, err
}

// Approvals returns the approvals recorded with a card's decision.
func (s *Store) Approvals(ctx context.Context, cardID string) ([]cards.Approval, error) {
	s.reads.Add(1)
	var rows []struct {
		Actor   string    `db:"actor"`
		Comment string    `db:"comment"`
		At      time.Time `db:"at"`
	}
	if err := s.DB.SelectContext(ctx, &rows, `SELECT actor, comment, at FROM card_approvals WHERE card_id = $1 ORDER BY at, actor`, cardID); err != nil {
		return nil, err
	}
	out := make([]cards.Approval, 0, len(rows))
	for _, r := range rows {
		out = append(out, cards.Approval{Actor: r.Actor, Comment: r.Comment, At: r.At})
	}
	return out, nil
}

// ListFilter selects cards for `starter list`.
type ListFilter struct {
	State  cards.State
	UserID string
	Limit  int
}

// ListCards returns cards newest first; the indexes on (state, user_id,
// created_at) and (user_id, created_at) serve every combination of filters.
func (s *Store) ListCards(ctx context.Context, f ListFilter) ([]Card, error) {
	s.reads.Add(1)
	if f.Limit <= 0 {
		f.Limit = 50
	}
	// Only the filters given become predicates, so the planner sees plain
	// equalities and picks the matching index.
	var where []string
	var args []any
	if f.State != "" {
		args = append(args, string(f.State))
		where = append(where, fmt.Sprintf("state = $%d", len(args)))
	}
	if f.UserID != "" {
		args = append(args, f.UserID)
		where = append(where, fmt.Sprintf("user_id = $%d", len(args)))
	}
	query := `SELECT ` + cardColumns + ` FROM cards`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	query += fmt.Sprintf(" ORDER BY created_at DESC LIMIT $%d", len(args))
	var out []Card
	if err := s.DB.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("list cards: %w", err)
	}
	return out, nil
}

// RequestedCards returns up to limit cards in state requested whose id sorts
// after afterID, by id: the repair walks every waiting card in pages this
// way, however many there are.
func (s *Store) RequestedCards(ctx context.Context, afterID string, limit int) ([]Card, error) {
	s.reads.Add(1)
	if afterID == "" {
		afterID = "00000000-0000-0000-0000-000000000000"
	}
	var out []Card
	err := s.DB.SelectContext(ctx, &out, `SELECT `+cardColumns+` FROM cards WHERE state = 'requested' AND id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list requested cards: %w", err)
	}
	return out, nil
}
