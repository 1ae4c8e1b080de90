package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// An order is written once with its items and counts; progress batches,
// a repeat round and the final state keep the counts on the order's row in
// step with its items, and running any of them again changes nothing.
func TestOrderLifecycle(t *testing.T) {
	st, _ := testkit.Store(t,
		cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace", State: cards.ActiveUserState},
		cards.User{ID: "bea", GivenName: "Bea", Surname: "Bauer", State: "inactive"})
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Microsecond)
	id := uuid.NewString()
	o := store.Order{ID: id, Kind: store.OrderIssue, CreatedBy: "olivia", CreatedAt: at, WorkflowID: "order-" + id}
	items := []store.NewOrderItem{
		{CardID: uuid.NewString(), State: store.ItemPending},
		{CardID: uuid.NewString(), State: store.ItemPending},
		{CardID: uuid.NewString(), State: store.ItemSkipped, Reason: "no such card"},
		{CardID: uuid.NewString(), State: store.ItemPending},
	}
	got, created, err := st.CreateOrder(ctx, o, items)
	if err != nil || !created {
		t.Fatalf("CreateOrder: created %v, %v", created, err)
	}
	want := store.OrderCounts{Total: 4, Skipped: 1, Running: 3}
	if got.OrderCounts != want || got.State != store.OrderRunning {
		t.Fatalf("counts %+v state %s, want %+v running", got.OrderCounts, got.State, want)
	}
	// A retried activity: nothing written twice, even with other items.
	again, created, err := st.CreateOrder(ctx, o, items[:1])
	if err != nil || created || again.Total != 4 {
		t.Fatalf("second CreateOrder: created %v total %d, %v", created, again.Total, err)
	}

	pending, err := st.OrderItems(ctx, id, store.ItemPending, 0, 2)
	if err != nil || len(pending) != 2 || pending[0].Seq != 1 || pending[1].Seq != 2 || pending[0].CardID != items[0].CardID {
		t.Fatalf("first page of pending items: %+v, %v", pending, err)
	}
	next, err := st.OrderItems(ctx, id, store.ItemPending, 2, 2)
	if err != nil || len(next) != 1 || next[0].Seq != 4 {
		t.Fatalf("second page: %+v, %v", next, err)
	}

	progress := store.OrderProgress{Started: []int{1, 2, 4}, Ended: []store.ItemEnd{{Seq: 1, State: store.ItemDone}, {Seq: 2, State: store.ItemFailed, Reason: "station down"}}, At: at}
	for range 2 {
		if got, err = st.RecordOrderProgress(ctx, id, progress); err != nil {
			t.Fatal(err)
		}
	}
	if want := (store.OrderCounts{Total: 4, Done: 1, Failed: 1, Skipped: 1, Running: 1}); got.OrderCounts != want {
		t.Fatalf("after progress: %+v, want %+v", got.OrderCounts, want)
	}
	if got, err = st.RecordOrderProgress(ctx, id, store.OrderProgress{Ended: []store.ItemEnd{{Seq: 4, State: store.ItemFailed, Reason: "station down"}}, At: at}); err != nil {
		t.Fatal(err)
	}
	if got, err = st.SetOrderState(ctx, id, store.OrderWaiting, at); err != nil || got.State != store.OrderWaiting || !got.Tried() {
		t.Fatalf("waiting: %+v, %v", got, err)
	}

	// Round 1 repeats the two failed items, on another station; again, the
	// same count and nothing else.
	for range 2 {
		n, o, err := st.RepeatFailedItems(ctx, id, 1, "station-2", at)
		if err != nil || n != 2 || o.State != store.OrderRunning || o.Station != "station-2" || o.Running != 2 || o.Failed != 0 {
			t.Fatalf("repeat: %d %+v, %v", n, o, err)
		}
	}
	// A late batch of round 0 leaves the repeated items alone.
	if got, err = st.RecordOrderProgress(ctx, id, store.OrderProgress{Ended: []store.ItemEnd{{Seq: 2, State: store.ItemFailed}}, Round: 0, At: at}); err != nil || got.Running != 2 {
		t.Fatalf("late batch: %+v, %v", got.OrderCounts, err)
	}
	if got, err = st.RecordOrderProgress(ctx, id, store.OrderProgress{Started: []int{2, 4}, Ended: []store.ItemEnd{{Seq: 2, State: store.ItemDone}, {Seq: 4, State: store.ItemFailed, Reason: "again"}}, Round: 1, At: at}); err != nil {
		t.Fatal(err)
	}
	if want := (store.OrderCounts{Total: 4, Done: 2, Failed: 1, Skipped: 1}); got.OrderCounts != want {
		t.Fatalf("after round 1: %+v, want %+v", got.OrderCounts, want)
	}
	for range 2 {
		if got, err = st.SetOrderState(ctx, id, store.OrderCompleted, at); err != nil || got.State != store.OrderCompleted {
			t.Fatalf("complete: %+v, %v", got, err)
		}
	}
	var final *store.ErrOrderFinal
	if _, err := st.SetOrderState(ctx, id, store.OrderWaiting, at); !errors.As(err, &final) {
		t.Fatalf("a completed order moved: %v", err)
	}
	all, err := st.OrderItems(ctx, id, "", 0, 0)
	if err != nil || len(all) != 4 || all[3].Reason != "again" || all[2].Reason != "no such card" || all[1].Round != 1 {
		t.Fatalf("items: %+v, %v", all, err)
	}

	list, err := st.ListOrders(ctx, store.OrderFilter{})
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Done != 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if list, err = st.ListOrders(ctx, store.OrderFilter{State: store.OrderRunning}); err != nil || len(list) != 0 {
		t.Fatalf("list running: %+v, %v", list, err)
	}
	if list, err = st.ListOrders(ctx, store.OrderFilter{Before: &store.OrderCursor{CreatedAt: at, ID: id}}); err != nil || len(list) != 0 {
		t.Fatalf("list after the only order: %+v, %v", list, err)
	}
	if _, err := st.Order(ctx, uuid.NewString()); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("unknown order: %v", err)
	}
}

// The readiness reads answer for many users or cards in one query: the
// directory state, an open request of the card type, a card's state.
func TestOrderReadiness(t *testing.T) {
	st, _ := testkit.Store(t,
		cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace", State: cards.ActiveUserState},
		cards.User{ID: "bea", GivenName: "Bea", Surname: "Bauer", State: "inactive"},
		cards.User{ID: "cid", GivenName: "Cid", Surname: "Campeador", State: cards.ActiveUserState})
	ctx := context.Background()
	card := uuid.NewString()
	if _, _, err := st.InsertCard(ctx, store.Card{ID: card, UserID: "cid", CardType: "standard", CommonName: "Cid", UPN: "cid@example.com",
		State: cards.StateApproved, RequestedBy: "olivia", WorkflowID: "request-card-" + card}, time.Now()); err != nil {
		t.Fatal(err)
	}
	users, err := st.UsersForOrder(ctx, []string{"ada", "bea", "cid", "nobody"}, "standard")
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 || users["ada"].OpenID != "" || users["bea"].State != "inactive" || users["cid"].OpenID != card || users["cid"].OpenState != "approved" {
		t.Fatalf("users: %+v", users)
	}
	if users, err = st.UsersForOrder(ctx, []string{"cid"}, "visitor"); err != nil || users["cid"].OpenID != "" {
		t.Fatalf("another card type: %+v, %v", users, err)
	}
	got, err := st.CardsForOrder(ctx, []string{card, uuid.NewString()})
	if err != nil || len(got) != 1 || got[card].State != "approved" || got[card].UserID != "cid" {
		t.Fatalf("cards: %+v, %v", got, err)
	}
}
