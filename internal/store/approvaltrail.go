package store

import (
	"context"
	"fmt"
	"time"
)

// BackfilledRunID is the run_id of the approvals rows that migration 00018
// wrote for version-2 RequestCard runs already waiting for approval when
// version 3 came (version 2 opened no row). Their run id is not in
// PostgreSQL; nothing addresses a run (decisions go to the workflow id),
// so the marker only tells these rows apart: their votes are the
// workflow's, not audit rows, and TransitionCard closes them with the
// card's decision, which their run does not.
const BackfilledRunID = "backfill-00018"

// ApprovalVote is one vote's audit row (card_events): approve, reject or
// postpone, by whom, with what comment, when.
type ApprovalVote struct {
	Kind    string    `db:"event"`
	Actor   string    `db:"actor"`
	Comment string    `db:"comment"`
	At      time.Time `db:"at"`
}

// ApprovalRecord is one approval of a card (its approvals row) with the
// votes cast on it, oldest first: what the card page's Approvals panel and
// the status document's approval show, from PostgreSQL alone.
type ApprovalRecord struct {
	Approval
	Votes []ApprovalVote
}

// Open says the approval still waits.
func (r ApprovalRecord) Open() bool { return r.State == ApprovalOpen }

// Backfilled says the row was written by migration 00018 for a version-2
// Request card run: its votes are in the workflow, not in card_events.
func (r ApprovalRecord) Backfilled() bool { return r.RunID == BackfilledRunID }

// ApprovalTrail returns the card's approvals, newest first, each with its
// votes. A vote's audit row carries the approval's run id as the prefix of
// its write token (the approval process writes "<run id>/<update id>"),
// which ties it to its approval exactly, however many approvals the card
// had. Two reads by card (indexes approvals_by_card and
// card_events_by_card), the second only when the card had an approval.
func (s *Store) ApprovalTrail(ctx context.Context, cardID string) ([]ApprovalRecord, error) {
	s.reads.Add(1)
	var rows []Approval
	if err := s.DB.SelectContext(ctx, &rows, `SELECT `+approvalColumns+` FROM approvals WHERE card_id = $1 ORDER BY id DESC`, cardID); err != nil {
		return nil, fmt.Errorf("approvals of card %s: %w", cardID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	s.reads.Add(1)
	var votes []struct {
		ApprovalVote
		RunID string `db:"run_id"`
	}
	if err := s.DB.SelectContext(ctx, &votes, `
		SELECT event, actor, comment, at, split_part(write_token, '/', 1) AS run_id
		FROM card_events
		WHERE card_id = $1 AND `+VoteRow+` AND write_token LIKE '%/%'
		ORDER BY id`, cardID); err != nil {
		return nil, fmt.Errorf("votes on card %s: %w", cardID, err)
	}
	out := make([]ApprovalRecord, len(rows))
	byRun := make(map[string]int, len(rows))
	for i, a := range rows {
		out[i].Approval = a
		byRun[a.RunID] = i
	}
	for _, v := range votes {
		if i, ok := byRun[v.RunID]; ok {
			out[i].Votes = append(out[i].Votes, v.ApprovalVote)
		}
	}
	return out, nil
}
