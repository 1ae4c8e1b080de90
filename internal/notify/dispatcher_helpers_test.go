package notify_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// OutboxEvent makes the test recorder an OutboxRecorder too.
func (c *counts) OutboxEvent(event, outcome string, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n["outbox/"+event+"/"+outcome]++
}

// queue stores a new requested card for carol with its requested event
// queued in the same statement, as PersistCard does, and returns the
// event's input.
func (w *world) queue() cards.NotifyInput {
	w.t.Helper()
	in := w.card
	in.CardID = uuid.NewString()
	raw, err := json.Marshal(in)
	if err != nil {
		w.t.Fatal(err)
	}
	_, created, err := w.store.InsertCardQueuing(context.Background(), store.Card{ID: in.CardID, UserID: "carol", CardType: "t-" + in.CardID[:8],
		CommonName: in.CommonName, UPN: in.UPN, State: cards.StateRequested, RequestedBy: "olivia", WorkflowID: "request-card-" + in.CardID,
		ApprovalsRequired: 2}, time.Now(), &store.OutboxEvent{Event: in.Event, Input: raw})
	if err != nil || !created {
		w.t.Fatalf("queue: created %v, %v", created, err)
	}
	return in
}

// decide rejects the world's card with its decided event queued, as
// TransitionCard does.
func (w *world) decide() cards.NotifyInput {
	w.t.Helper()
	in := w.card
	in.Event = cards.NotifyDecided
	in.Decision = &cards.Decision{To: cards.StateRejected, Actor: "alice", Comment: "no budget", At: time.Now()}
	raw, err := json.Marshal(in)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, _, err := w.store.TransitionCard(context.Background(), store.Transition{CardID: in.CardID, To: cards.StateRejected,
		Actor: "alice", Comment: "no budget", At: in.Decision.At, Notify: &store.OutboxEvent{Event: in.Event, Input: raw}}); err != nil {
		w.t.Fatal(err)
	}
	return in
}

// outbox counts the queued events.
func (w *world) outbox() int {
	w.t.Helper()
	var n int
	if err := w.store.DB.Get(&n, `SELECT count(*) FROM notification_outbox`); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// run starts d until the test ends; stop ends it and waits for Run to
// return (it is also the test's cleanup).
func run(t testing.TB, d *notify.Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := runUntil(ctx, d)
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// runUntil runs d until ctx ends; the channel closes when Run returned.
func runUntil(ctx context.Context, d *notify.Dispatcher) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return done
}

// waitFor polls cond until it holds, failing the test at the deadline.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, within, func() (bool, string) { return cond(), what })
}

// messageIDs counts the accepted messages by Message-ID: one per card,
// event and recipient, so a count above 1 is a second copy.
func (w *world) messageIDs() map[string]int {
	out := map[string]int{}
	for _, m := range w.smtp.Messages() {
		out[m.Header.Get("Message-Id")]++
	}
	return out
}
