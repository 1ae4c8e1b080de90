package schema_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pressly/goose/v3"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

// backfillVersion is the migration that opens the approvals rows of
// version-2 requests waiting for approval.
const backfillVersion = 18

// A card that a version-2 RequestCard left requested, with no approvals
// row, is in nobody's Inbox until migration 00018; then it is in its
// approvers' Inbox as a request, on RequestCard's workflow id, marked as
// backfilled. A version-3 card's row is not written twice, a decided card
// gets none, the card's decision closes the row, and Down removes the
// backfilled rows and nothing else; Up again writes them again, once.
func TestBackfillPutsVersion2RequestsInTheInbox(t *testing.T) {
	ctx := context.Background()
	url := testkit.EmptyDatabase(t)
	db := testkit.Open(t, url)
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, backfillVersion-1); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, url, store.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, u := range []cards.User{
		{ID: "alice", State: "active", Roles: []string{"approver"}},
		{ID: "olivia", State: "active", Roles: []string{"operator"}},
		{ID: "carol", State: "active"}, {ID: "dan", State: "active"}, {ID: "erin", State: "active"},
	} {
		if err := st.UpsertUserWithRoles(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	created := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	card := func(user string, state cards.State, open *store.Approval) string {
		t.Helper()
		id := uuid.NewString()
		if _, _, err := st.InsertCardOpening(ctx, store.Card{ID: id, UserID: user, CardType: "standard", CommonName: "CN " + user, UPN: user + "@example.com",
			State: state, RequestedBy: "olivia", WorkflowID: "request-card-" + id, ApprovalsRequired: 2}, created, nil, open); err != nil {
			t.Fatal(err)
		}
		return id
	}
	v2 := card("carol", cards.StateRequested, nil)
	v3Expires := created.Add(72 * time.Hour)
	v3 := card("dan", cards.StateRequested, &store.Approval{Operation: "request", RunID: "run-v3", ApprovalsRequired: 2, ApproverRole: "approver", ExpiresAt: &v3Expires})
	approved := card("erin", cards.StateApproved, nil)

	inbox := func() map[string]store.InboxItem {
		t.Helper()
		items, _, err := st.Inbox(ctx, "alice", store.InboxCursor{}, 50)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]store.InboxItem{}
		for _, it := range items {
			if _, twice := out[it.CardID]; twice {
				t.Errorf("card %s is twice in the Inbox", it.CardID)
			}
			out[it.CardID] = it
		}
		return out
	}
	rows := func(cardID string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM approvals WHERE card_id = $1`, cardID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := inbox(); len(got) != 1 || got[v3].CardID != v3 {
		t.Fatalf("before the backfill the Inbox holds %v, want the version-3 card only", got)
	}

	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	got := inbox()
	if len(got) != 2 {
		t.Fatalf("after the backfill the Inbox holds %d approvals, want the two requested cards: %v", len(got), got)
	}
	it, ok := got[v2]
	if !ok {
		t.Fatalf("the version-2 card %s is not in the approver's Inbox: %v", v2, got)
	}
	wantExpiry := created.Add(168 * time.Hour)
	if it.Operation != "request" || it.WorkflowID != "request-card-"+v2 || it.RunID != store.BackfilledRunID || it.ApprovalsRequired != 2 ||
		it.ApproverRole != "approver" || it.RequestedBy != "olivia" || it.HolderID != "carol" || it.CardType != "standard" ||
		!it.CreatedAt.Equal(created) || it.ExpiresAt == nil || !it.ExpiresAt.Equal(wantExpiry) || it.CardState != string(cards.StateRequested) {
		t.Fatalf("backfilled row: %+v", it)
	}
	if it := got[v3]; it.RunID != "run-v3" || !it.ExpiresAt.Equal(v3Expires) {
		t.Fatalf("the version-3 card's row changed: %+v", it)
	}
	for id, want := range map[string]int{v2: 1, v3: 1, approved: 0} {
		if n := rows(id); n != want {
			t.Errorf("card %s has %d approvals rows, want %d", id, n, want)
		}
	}

	// Down removes what the backfill wrote, nothing else; Up again writes
	// it once more, and only once.
	if _, err := p.DownTo(ctx, backfillVersion-1); err != nil {
		t.Fatal(err)
	}
	if rows(v2) != 0 || rows(v3) != 1 {
		t.Fatalf("after Down: %d rows of the version-2 card (want 0), %d of the version-3 card (want 1)", rows(v2), rows(v3))
	}
	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if rows(v2) != 1 || rows(v3) != 1 {
		t.Fatalf("after Up again: %d rows of the version-2 card, %d of the version-3 card, want 1 each", rows(v2), rows(v3))
	}

	// The version-2 run's decision closes its row (the run closes none
	// itself): the card leaves the Inbox.
	if _, _, err := st.TransitionCard(ctx, store.Transition{CardID: v2, To: cards.StateRejected, Actor: "alice", Comment: "no", At: created.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, still := inbox()[v2]; still {
		t.Fatal("the decided version-2 card is still in the Inbox")
	}
	closed, err := st.ApprovalOf(ctx, v2)
	if err != nil || closed.State != store.ApprovalRejected || closed.ClosedAt == nil || !closed.ClosedAt.Equal(created.Add(time.Hour)) {
		t.Fatalf("backfilled row after the decision: %+v %v", closed, err)
	}
	if _, still := inbox()[v3]; !still {
		t.Fatal("the version-3 card left the Inbox with the other card's decision")
	}
}
