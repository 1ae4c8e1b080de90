package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// Request card writes its approvals row with the card's own statements:
// opened by the insert (once, even when the insert runs again), closed by
// the decision's transition, and closed too when the card was decided
// otherwise first: a transition naming no approval (starter repair
// aborting a stranded card) closes it with the card's new state, and the
// run's own close afterwards changes nothing.
func TestApprovalRowWrittenWithTheCardsStatements(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	l.person("carol", "active")
	expires := at.Add(time.Hour)
	insert := func(id string) {
		t.Helper()
		open := &store.Approval{Operation: "request", RunID: "run-1", ApprovalsRequired: 1, ApproverRole: "approver", ExpiresAt: &expires}
		for range 2 {
			if _, _, err := l.st.InsertCardOpening(ctx, store.Card{ID: id, UserID: "carol", CardType: "t-" + id[:8], State: cards.StateRequested,
				RequestedBy: "olivia", WorkflowID: "card-" + id, ApprovalsRequired: 1}, at, nil, open); err != nil {
				t.Fatal(err)
			}
		}
	}
	card := uuid.NewString()
	insert(card)
	a, err := l.st.OpenApprovalOf(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if a.Operation != "request" || a.WorkflowID != "card-"+card || a.RunID != "run-1" || a.HolderID != "carol" || a.RequestedBy != "olivia" ||
		a.ApproverRole != "approver" || a.CardType != "t-"+card[:8] || !a.CreatedAt.Equal(at) || a.ExpiresAt == nil || !a.ExpiresAt.Equal(expires) {
		t.Fatalf("row opened with the card: %+v", a)
	}
	var rows int
	if err := l.st.DB.QueryRow(`SELECT count(*) FROM approvals WHERE card_id = $1`, card).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("%d approvals rows after the insert ran twice (%v)", rows, err)
	}
	closing := &store.ApprovalClose{WorkflowID: "card-" + card, RunID: "run-1", State: store.ApprovalTimedOut}
	if _, _, err := l.st.TransitionCard(ctx, store.Transition{CardID: card, To: cards.StateAborted, Actor: "system", At: at.Add(time.Hour), CloseApproval: closing}); err != nil {
		t.Fatal(err)
	}
	if a, err := l.st.ApprovalOf(ctx, card); err != nil || a.State != store.ApprovalTimedOut || a.ClosedAt == nil || !a.ClosedAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("row closed with the decision: %+v %v", a, err)
	}

	other := uuid.NewString()
	insert(other)
	if _, _, err := l.st.TransitionCard(ctx, store.Transition{CardID: other, To: cards.StateRejected, Actor: "bob", Comment: "no", At: at}); err != nil {
		t.Fatal(err)
	}
	closing = &store.ApprovalClose{WorkflowID: "card-" + other, RunID: "run-1", State: store.ApprovalApproved}
	if _, _, err := l.st.TransitionCard(ctx, store.Transition{CardID: other, To: cards.StateApproved, Actor: "alice", At: at, CloseApproval: closing}); err == nil {
		t.Fatal("a card decided otherwise moved again")
	}
	if a, err := l.st.ApprovalOf(ctx, other); err != nil || a.State != store.ApprovalRejected {
		t.Fatalf("row of a card decided otherwise: %+v %v, want closed rejected with the card", a, err)
	}
}

// From Request card's version 4 the deciding vote goes with the decision:
// its audit row comes first (the trail reads vote, then change), counts on
// the closed row, and a retried write finds it by its token.
func TestDecidingVoteWrittenWithTheDecision(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	l.person("carol", "active")
	expires := at.Add(time.Hour)
	card := uuid.NewString()
	open := &store.Approval{Operation: "request", RunID: "run-1", ApprovalsRequired: 1, ApproverRole: "approver", ExpiresAt: &expires}
	if _, _, err := l.st.InsertCardOpening(ctx, store.Card{ID: card, UserID: "carol", CardType: "standard", State: cards.StateRequested,
		RequestedBy: "olivia", WorkflowID: "card-" + card, ApprovalsRequired: 1}, at, nil, open); err != nil {
		t.Fatal(err)
	}
	decide := store.Transition{CardID: card, To: cards.StateApproved, Actor: "alice", Comment: "ok", At: at.Add(time.Minute),
		CloseApproval: &store.ApprovalClose{WorkflowID: "card-" + card, RunID: "run-1", State: store.ApprovalApproved},
		Vote:          &store.Vote{WorkflowID: "card-" + card, RunID: "run-1", CardID: card, Kind: "approve", Actor: "alice", Comment: "ok", At: at.Add(time.Minute), Token: "run-1/u1"}}
	if _, changed, err := l.st.TransitionCard(ctx, decide); err != nil || !changed {
		t.Fatalf("decision: changed %v, %v", changed, err)
	}
	// A retry after a lost answer: the card is already approved.
	if _, _, err := l.st.TransitionCard(ctx, decide); err != nil {
		t.Fatalf("retried decision: %v", err)
	}
	events, err := l.st.Events(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range events {
		trail = append(trail, e.Transition+" "+e.FromState.String+">"+e.ToState)
	}
	want := []string{"request >requested", "approve requested>requested", "approve requested>approved"}
	if len(trail) != len(want) {
		t.Fatalf("audit trail %q, want %q", trail, want)
	}
	for i := range want {
		if trail[i] != want[i] {
			t.Fatalf("audit trail %q, want %q", trail, want)
		}
	}
	a, err := l.st.ApprovalOf(ctx, card)
	if err != nil || a.State != store.ApprovalApproved || len(a.ApprovedBy) != 1 || a.ApprovedBy[0] != "alice" {
		t.Fatalf("closed row %+v %v, want approved by alice", a, err)
	}
}
