package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// A card's approvals come newest first, each with its own votes (oldest
// first), however many approvals the card had: a vote belongs to the
// approval whose run id prefixes its token. A state change is not a vote,
// and a card without approvals has an empty trail.
func TestApprovalTrailTiesEachVoteToItsApproval(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	card := l.card("carol", "standard", cards.StateActive)
	open := func(run string, created time.Time) {
		t.Helper()
		expires := created.Add(time.Hour)
		if _, err := l.st.OpenApproval(ctx, store.Approval{CardID: card, Operation: "deactivation", WorkflowID: "card-" + card, RunID: run,
			ApprovalsRequired: 2, ApproverRole: "approver", RequestedBy: "olivia", HolderID: "carol", CardType: "standard", ExpiresAt: &expires, CreatedAt: created}); err != nil {
			t.Fatal(err)
		}
	}
	vote := func(run, kind, actor, comment string, at time.Time) {
		t.Helper()
		if _, err := l.st.RecordVote(ctx, store.Vote{WorkflowID: "card-" + card, RunID: run, CardID: card, Kind: kind, Actor: actor, Comment: comment,
			At: at, Token: run + "/" + kind + "-" + actor}); err != nil {
			t.Fatal(err)
		}
	}
	open("run-1", at)
	vote("run-1", "postpone", "alice", "ask HR", at.Add(time.Minute))
	vote("run-1", "reject", "alice", "not without HR", at.Add(2*time.Minute))
	if err := l.st.CloseApproval(ctx, "card-"+card, "run-1", store.ApprovalRejected, at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	open("run-2", at.Add(time.Hour))
	// A state change named approve, with a token of the run: not a vote.
	l.stateChange(card, cards.StateRequested, cards.StateApproved, "approve")
	vote("run-2", "approve", "bob", "fine", at.Add(61*time.Minute))
	vote("run-2", "postpone", "alice", "Monday", at.Add(62*time.Minute))

	trail, err := l.st.ApprovalTrail(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 2 || trail[0].RunID != "run-2" || trail[1].RunID != "run-1" {
		t.Fatalf("trail %+v, want run-2 then run-1", trail)
	}
	if !trail[0].Open() || trail[1].Open() || trail[0].Backfilled() {
		t.Fatalf("open: %v %v, backfilled %v", trail[0].Open(), trail[1].Open(), trail[0].Backfilled())
	}
	if got := votes(trail[0]); got != "approve bob fine; postpone alice Monday" {
		t.Errorf("votes of the open approval: %s", got)
	}
	if got := votes(trail[1]); got != "postpone alice ask HR; reject alice not without HR" {
		t.Errorf("votes of the rejected approval: %s", got)
	}
	if trail[0].ApprovedBy[0] != "bob" || trail[0].Postponed["alice"].Comment != "Monday" {
		t.Errorf("the open approval's row: %+v", trail[0].Approval)
	}

	if empty, err := l.st.ApprovalTrail(ctx, l.card("dan", "standard", cards.StateActive)); err != nil || len(empty) != 0 {
		t.Fatalf("a card without approvals: %+v %v", empty, err)
	}
}

func votes(r store.ApprovalRecord) string {
	var out []string
	for _, v := range r.Votes {
		out = append(out, v.Kind+" "+v.Actor+" "+v.Comment)
	}
	return strings.Join(out, "; ")
}

// stateChange writes a state change's audit row with a token of run-2.
func (l *lifecycle) stateChange(card string, from, to cards.State, event string) {
	l.t.Helper()
	if _, err := l.st.DB.Exec(`INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event, write_token)
		VALUES ($1, $2, 'olivia', $3, $4, '', $5, 'run-2/' || $5)`, card, at, from, to, event); err != nil {
		l.t.Fatal(err)
	}
}
