package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Approval states: open while the operation waits, then how it ended.
const (
	ApprovalOpen     = "open"
	ApprovalApproved = "approved"
	ApprovalRejected = "rejected"
	ApprovalTimedOut = "timedOut"
	ApprovalAborted  = "aborted"
)

// Approval is a row of the approvals table: one approval an operation
// opened (the shared approval process).
type Approval struct {
	ID                int64      `db:"id"`
	CardID            string     `db:"card_id"`
	Operation         string     `db:"operation"`
	WorkflowID        string     `db:"workflow_id"`
	RunID             string     `db:"run_id"`
	ApprovalsRequired int        `db:"approvals_required"`
	ApproverRole      string     `db:"approver_role"`
	RequestedBy       string     `db:"requested_by"`
	HolderID          string     `db:"holder_id"`
	CardType          string     `db:"card_type"`
	ExpiresAt         *time.Time `db:"expires_at"`
	State             string     `db:"state"`
	CreatedAt         time.Time  `db:"created_at"`
	ClosedAt          *time.Time `db:"closed_at"`
	// ApprovedBy are who approved so far.
	ApprovedBy pq.StringArray `db:"approved_by"`
	// Postponed maps each approver who postponed to their latest comment.
	Postponed Postponements `db:"postponed"`
}

// Postponement is an approver's latest postpone: the Inbox shows it as
// "Postponed by you" with the comment.
type Postponement struct {
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// Postponements is the postponed column: approver → latest postponement.
type Postponements map[string]Postponement

// Scan reads the jsonb column.
func (p *Postponements) Scan(src any) error {
	var raw []byte
	switch v := src.(type) {
	case nil:
		*p = nil
		return nil
	case []byte:
		raw = v
	case string:
		raw = []byte(v)
	default:
		return fmt.Errorf("postponed: unexpected %T", src)
	}
	return json.Unmarshal(raw, p)
}

const approvalColumns = `id, card_id, operation, workflow_id, run_id, approvals_required, approver_role, requested_by, holder_id, card_type, expires_at, state, created_at, closed_at, approved_by, postponed`

// OpenApproval writes a's row (state open) and returns it. A retry, or a
// second call for the same workflow run, writes nothing and returns the
// row already there.
func (s *Store) OpenApproval(ctx context.Context, a Approval) (Approval, error) {
	var out Approval
	err := s.DB.GetContext(ctx, &out, `
		WITH ins AS (
			INSERT INTO approvals (card_id, operation, workflow_id, run_id, approvals_required, approver_role, requested_by, holder_id, card_type, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (workflow_id, run_id) DO NOTHING
			RETURNING `+approvalColumns+`
		)
		SELECT `+approvalColumns+` FROM ins
		UNION ALL
		SELECT `+approvalColumns+` FROM approvals WHERE workflow_id = $3 AND run_id = $4
		LIMIT 1`,
		a.CardID, a.Operation, a.WorkflowID, a.RunID, a.ApprovalsRequired, a.ApproverRole, a.RequestedBy, a.HolderID, a.CardType, a.ExpiresAt, a.CreatedAt)
	if err != nil {
		return Approval{}, fmt.Errorf("open approval of card %s (%s): %w", a.CardID, a.Operation, err)
	}
	s.writes.Add(1)
	return out, nil
}

// Vote is one accepted approve, reject or postpone.
type Vote struct {
	WorkflowID string
	RunID      string
	CardID     string
	// Kind is approve, reject or postpone: the audit row's event.
	Kind    string
	Actor   string
	Comment string
	At      time.Time
	// Token makes the write idempotent (the workflow derives it from the
	// update id): a retried vote finds its audit row and writes nothing.
	Token string
}

// VoteRow is the SQL condition, on a card_events row, that picks the audit
// rows of votes (RecordVote): event approve, reject or postpone with from
// and to the same state. A state change (requested to approved, event
// approve too) moves the card, so it is not one. Counts that check "one
// audit row per state change" leave these rows out and count them apart,
// each vote once.
const VoteRow = `(event IN ('approve', 'reject', 'postpone') AND from_state IS NOT DISTINCT FROM to_state)`

// RecordVote writes v as an audit row in card_events (from and to the
// card's current state: a vote changes no state) and, in the same
// statement, adds it to the approval's row (approved_by, postponed). It
// reports whether this call wrote it.
func (s *Store) RecordVote(ctx context.Context, v Vote) (bool, error) {
	var written bool
	err := s.DB.GetContext(ctx, &written, `
		WITH event AS (
			INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event, write_token)
			SELECT id, $3, $4, state, state, $5, $6, $7 FROM cards WHERE id = $8
			ON CONFLICT (card_id, write_token) WHERE write_token IS NOT NULL DO NOTHING
			RETURNING card_id
		), upd AS (
			UPDATE approvals SET
				approved_by = CASE WHEN $6 = 'approve' AND NOT ($4 = ANY (approved_by)) THEN approved_by || $4::text ELSE approved_by END,
				postponed = CASE WHEN $6 = 'postpone' THEN postponed || jsonb_build_object($4::text, jsonb_build_object('comment', $5::text, 'at', $3::timestamptz)) ELSE postponed END
			WHERE workflow_id = $1 AND run_id = $2 AND EXISTS (SELECT 1 FROM event)
			RETURNING id
		)
		SELECT EXISTS (SELECT 1 FROM event)`,
		v.WorkflowID, v.RunID, v.At, v.Actor, v.Comment, v.Kind, v.Token, v.CardID)
	if err != nil {
		return false, fmt.Errorf("record %s by %s on card %s: %w", v.Kind, v.Actor, v.CardID, err)
	}
	if written {
		s.writes.Add(1)
	}
	return written, nil
}

// CloseApproval sets the approval's final state, once: a retry finds it
// closed and changes nothing.
func (s *Store) CloseApproval(ctx context.Context, workflowID, runID, state string, at time.Time) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE approvals SET state = $3, closed_at = $4 WHERE workflow_id = $1 AND run_id = $2 AND state = 'open'`,
		workflowID, runID, state, at)
	if err != nil {
		return fmt.Errorf("close approval of %s: %w", workflowID, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		s.writes.Add(1)
	}
	return nil
}

// OpenApprovalOf returns the card's open approval, or ErrNoRows: what
// `starter approve --card` acts on.
func (s *Store) OpenApprovalOf(ctx context.Context, cardID string) (Approval, error) {
	s.reads.Add(1)
	var a Approval
	err := s.DB.GetContext(ctx, &a, `SELECT `+approvalColumns+` FROM approvals WHERE card_id = $1 AND state = 'open'`, cardID)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNoRows
	}
	return a, err
}

// ApprovalOf returns the card's latest approval (open or closed), or
// ErrNoRows.
func (s *Store) ApprovalOf(ctx context.Context, cardID string) (Approval, error) {
	s.reads.Add(1)
	var a Approval
	err := s.DB.GetContext(ctx, &a, `SELECT `+approvalColumns+` FROM approvals WHERE card_id = $1 ORDER BY id DESC LIMIT 1`, cardID)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNoRows
	}
	return a, err
}
