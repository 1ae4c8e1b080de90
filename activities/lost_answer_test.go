package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/pgproxy"
	"github.com/cardflow/cardflow/internal/store"
)

// A card write commits and its answer is lost to a closed connection (a
// failover, a pooler), so the driver runs it again: the write is still
// reported as this call's, so the dispatcher is poked for its e-mail and
// the metrics count it, and nothing is written twice.
func TestALostAnswerOnACardWriteStillPokesAndCounts(t *testing.T) {
	w := newWorld(t, testPolicy)
	proxy, url := pgproxy.For(t, w.dbURL)
	st, err := store.Open(context.Background(), url, store.PoolOptions{MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	w.acts.Store = st
	w.acts.Notifier = mailOn{}
	pokes := 0
	w.acts.OnQueued = func() { pokes++ }

	id := uuid.NewString()
	expires := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	in := persistInput(id, "ada", "standard", cards.StateRequested)
	in.Notify = &activities.NotifyInput{UserID: "ada", CardType: "standard", RequestedBy: "olivia", ApproverRole: "approver", ExpiresAt: &expires}
	proxy.LoseAnswer("INSERT INTO cards", 1, pgproxy.Close)
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, in); err != nil {
		t.Fatal(err)
	}
	proxy.LoseAnswer("UPDATE cards SET state", 1, pgproxy.Close)
	decide := activities.TransitionCardInput{CardID: id, To: cards.StateRejected, Actor: "bob", Comment: "no budget",
		At: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), Notify: &activities.NotifyInput{UserID: "ada", RequestedBy: "olivia"}}
	if _, err := w.env.ExecuteActivity(w.acts.TransitionCard, decide); err != nil {
		t.Fatal(err)
	}
	if proxy.Cuts() != 2 {
		t.Fatalf("%d answers lost, want 2", proxy.Cuts())
	}
	if pokes != 2 || len(w.rec.persisted) != 1 || len(w.rec.decided) != 1 {
		t.Fatalf("dispatcher poked %d times, persisted counted %v, decided counted %v; want each write poked and counted once",
			pokes, w.rec.persisted, w.rec.decided)
	}
	if n := w.count(`SELECT count(*) FROM card_events WHERE card_id = $1`, id); n != 2 {
		t.Fatalf("%d audit rows, want 2", n)
	}
	if n := w.count(`SELECT count(*) FROM notification_outbox WHERE card_id = $1`, id); n != 2 {
		t.Fatalf("%d queued events, want 2", n)
	}
}
