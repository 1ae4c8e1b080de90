package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// openApproval opens an approval of op on card, requested by olivia, for
// the approver role.
func (l *lifecycle) openApproval(card, op string, created time.Time) store.Approval {
	l.t.Helper()
	expires := created.Add(time.Hour)
	a, err := l.st.OpenApproval(context.Background(), store.Approval{
		CardID: card, Operation: op, WorkflowID: "card-" + card, RunID: "run-1", ApprovalsRequired: 2,
		ApproverRole: "approver", RequestedBy: "olivia", HolderID: "carol", CardType: "standard", ExpiresAt: &expires, CreatedAt: created,
	})
	if err != nil {
		l.t.Fatal(err)
	}
	return a
}

func (l *lifecycle) person(id, state string, roles ...string) {
	l.t.Helper()
	if _, err := l.st.DB.Exec(`INSERT INTO users (id, state) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET state = $2`, id, state); err != nil {
		l.t.Fatal(err)
	}
	for _, r := range roles {
		if _, err := l.st.DB.Exec(`INSERT INTO user_roles (user_id, role) VALUES ($1, $2)`, id, r); err != nil {
			l.t.Fatal(err)
		}
	}
}

func TestApprovalOpenVoteCloseAreIdempotent(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	card := l.card("carol", "standard", cards.StateActive)
	first := l.openApproval(card, "deactivation", at)
	again := l.openApproval(card, "deactivation", at)
	if first.ID == 0 || again.ID != first.ID || first.State != store.ApprovalOpen {
		t.Fatalf("open twice: %+v then %+v", first, again)
	}
	vote := store.Vote{WorkflowID: "card-" + card, RunID: "run-1", CardID: card, Kind: "approve", Actor: "alice", Comment: "ok", At: at, Token: "update-1"}
	for i, want := range []bool{true, false} {
		written, err := l.st.RecordVote(ctx, vote)
		if err != nil || written != want {
			t.Fatalf("vote %d: written %v, %v", i, written, err)
		}
	}
	postpone := store.Vote{WorkflowID: "card-" + card, RunID: "run-1", CardID: card, Kind: "postpone", Actor: "bob", Comment: "after lunch", At: at, Token: "update-2"}
	if _, err := l.st.RecordVote(ctx, postpone); err != nil {
		t.Fatal(err)
	}
	a, err := l.st.OpenApprovalOf(ctx, card)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ApprovedBy) != 1 || a.ApprovedBy[0] != "alice" || a.Postponed["bob"].Comment != "after lunch" {
		t.Fatalf("approval after votes: %+v", a)
	}
	events := l.events(card)
	if n := len(events); n != 2 || events[0].Transition != "approve" || events[1].Transition != "postpone" || events[1].ToState != "active" {
		t.Fatalf("audit rows: %+v", events)
	}
	for range 2 {
		if err := l.st.CloseApproval(ctx, "card-"+card, "run-1", store.ApprovalRejected, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.st.CloseApproval(ctx, "card-"+card, "run-1", store.ApprovalApproved, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.st.OpenApprovalOf(ctx, card); err != store.ErrNoRows {
		t.Fatalf("closed approval still open: %v", err)
	}
	closed, err := l.st.ApprovalOf(ctx, card)
	if err != nil || closed.State != store.ApprovalRejected {
		t.Fatalf("the first close wins: %+v %v", closed, err)
	}
}

func TestInboxListsWhatThePersonMayDecideAndPages(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	l.person("alice", "active", "approver")
	l.person("bob", "active", "approver")
	l.person("ivy", "inactive", "approver")
	l.person("pat", "active", "operator")
	var ids []int64
	for i := range 7 {
		card := l.card("carol", fmt.Sprintf("type-%d", i), cards.StateActive)
		ids = append(ids, l.openApproval(card, []string{"request", "deactivation", "reactivation", "lock"}[i%4], at.Add(time.Duration(i)*time.Minute)).ID)
		if i == 1 {
			// alice approved this one: not hers to decide again.
			if _, err := l.st.RecordVote(ctx, store.Vote{WorkflowID: "card-" + card, RunID: "run-1", CardID: card, Kind: "approve", Actor: "alice", At: at, Token: "t1"}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 2 {
			if _, err := l.st.RecordVote(ctx, store.Vote{WorkflowID: "card-" + card, RunID: "run-1", CardID: card, Kind: "postpone", Actor: "alice", Comment: "Monday", At: at, Token: "t2"}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 3 {
			if err := l.st.CloseApproval(ctx, "card-"+card, "run-1", store.ApprovalApproved, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	var seen []int64
	var cursor store.InboxCursor
	for page := 0; ; page++ {
		items, next, err := l.st.Inbox(ctx, "alice", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			seen = append(seen, it.ID)
			if it.ID == ids[2] && (it.PostponedByYou == nil || it.PostponedByYou.Comment != "Monday") {
				t.Errorf("postponed by alice, not marked: %+v", it.PostponedByYou)
			}
			if it.ID != ids[2] && it.PostponedByYou != nil {
				t.Errorf("marked postponed: %d", it.ID)
			}
		}
		if next.ID == 0 {
			break
		}
		parsed, err := store.ParseInboxCursor(next.String())
		if err != nil || parsed.ID != next.ID || !parsed.CreatedAt.Equal(next.CreatedAt) {
			t.Fatalf("cursor round trip: %v %v", parsed, err)
		}
		cursor = parsed
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	want := []int64{ids[6], ids[5], ids[4], ids[2], ids[0]}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("alice's inbox %v, want %v (newest first, no closed, none she approved)", seen, want)
	}
	for _, who := range []string{"ivy", "pat", "olivia", "carol", "nobody"} {
		items, _, err := l.st.Inbox(ctx, who, store.InboxCursor{}, 50)
		if err != nil || len(items) != 0 {
			t.Errorf("%s may decide nothing, got %d (%v)", who, len(items), err)
		}
	}
	if items, _, _ := l.st.Inbox(ctx, "bob", store.InboxCursor{}, 50); len(items) != 6 {
		t.Errorf("bob's inbox: %d, want 6", len(items))
	}
}

// VoteRow tells a vote's audit row from a state change's, even where both
// are named approve: the tests and the bench count them apart.
func TestVoteRowTellsVotesFromStateChanges(t *testing.T) {
	l := newLifecycle(t)
	ctx := context.Background()
	card := l.card("carol", "standard", cards.StateRequested)
	l.openApproval(card, "request", at)
	for i, kind := range []string{"postpone", "approve"} {
		if _, err := l.st.RecordVote(ctx, store.Vote{WorkflowID: "card-" + card, RunID: "run-1", CardID: card, Kind: kind, Actor: "alice", At: at, Token: fmt.Sprint("update-", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.st.TransitionCard(ctx, store.Transition{CardID: card, To: cards.StateApproved, Actor: "alice", At: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var votes, others int
	if err := l.st.DB.QueryRow(`SELECT count(*) FILTER (WHERE `+store.VoteRow+`), count(*) FILTER (WHERE NOT `+store.VoteRow+`) FROM card_events WHERE card_id = $1`, card).Scan(&votes, &others); err != nil {
		t.Fatal(err)
	}
	if votes != 2 || others != 1 {
		t.Fatalf("%d vote rows and %d others, want 2 (postpone, approve) and 1 (requested->approved, event approve too): %+v", votes, others, l.events(card))
	}
}
