package store_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

func outboxStore(t *testing.T) *store.Store {
	t.Helper()
	st, _ := testkit.Store(t, cards.User{ID: "ada", State: "active"})
	return st
}

func requestedCard(cardType string) store.Card {
	id := uuid.NewString()
	return store.Card{ID: id, UserID: "ada", CardType: cardType, CommonName: "Ada", UPN: "ada@example.com",
		State: cards.StateRequested, RequestedBy: "olivia", WorkflowID: "request-card-" + id, ApprovalsRequired: 1}
}

func queued(event, cardID string) *store.OutboxEvent {
	return &store.OutboxEvent{Event: event, Input: fmt.Appendf(nil, `{"event":%q,"cardId":%q}`, event, cardID)}
}

// The e-mail is queued by the card write's own statement: once however
// often the write is retried, never when the write fails, and without a
// second write transaction.
func TestCardWritesQueueTheirEmailOnceAndAtomically(t *testing.T) {
	ctx := context.Background()
	st := outboxStore(t)
	c := requestedCard("standard")
	writes0, _ := st.Counts()
	for i, want := range []bool{true, false} {
		_, created, err := st.InsertCardQueuing(ctx, c, time.Now(), queued("requested", c.ID))
		if err != nil || created != want {
			t.Fatalf("insert %d: created %v, %v", i+1, created, err)
		}
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox WHERE card_id = $1 AND event = 'requested' AND input->>'cardId' = $1::text`, c.ID); n != 1 {
		t.Fatalf("queued %d requested events after a retried insert, want 1", n)
	}
	// A refused write (a second open request) queues nothing.
	other := requestedCard("standard")
	if _, _, err := st.InsertCardQueuing(ctx, other, time.Now(), queued("requested", other.ID)); err == nil {
		t.Fatal("second open request written")
	}
	// Without Notify nothing is queued.
	plain := requestedCard("visitor")
	if _, _, err := st.InsertCardQueuing(ctx, plain, time.Now(), nil); err != nil {
		t.Fatal(err)
	}

	decide := store.Transition{CardID: c.ID, To: cards.StateApproved, Actor: "bob", At: time.Now(), Notify: queued("decided", c.ID)}
	for i, want := range []bool{true, false} {
		if _, changed, err := st.TransitionCard(ctx, decide); err != nil || changed != want {
			t.Fatalf("transition %d: changed %v, %v", i+1, changed, err)
		}
	}
	// A transition refused (the card is already approved) queues nothing.
	reject := store.Transition{CardID: c.ID, To: cards.StateRejected, Actor: "carl", At: time.Now(), Notify: queued("reminder", c.ID)}
	if _, _, err := st.TransitionCard(ctx, reject); err == nil {
		t.Fatal("rejected an approved card")
	}
	if _, _, err := st.TransitionCard(ctx, store.Transition{CardID: plain.ID, To: cards.StateAborted, Actor: "system", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox`); n != 2 {
		t.Fatalf("outbox holds %d events, want requested and decided of one card", n)
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox WHERE card_id = $1 AND event = 'decided'`, c.ID); n != 1 {
		t.Fatalf("decided events %d, want 1", n)
	}
	// Four state changes (two inserts, two transitions), four write
	// transactions: queuing costs none of its own.
	if writes, _ := st.Counts(); writes-writes0 != 4 {
		t.Fatalf("%d write transactions for 4 state changes", writes-writes0)
	}
}

// When the outbox insert fails, the card is not written either.
func TestAFailedQueueInsertWritesNoCard(t *testing.T) {
	ctx := context.Background()
	st := outboxStore(t)
	c := requestedCard("standard")
	bad := &store.OutboxEvent{Event: "approved", Input: []byte(`{}`)} // refused by the CHECK
	if _, _, err := st.InsertCardQueuing(ctx, c, time.Now(), bad); err == nil || !strings.Contains(err.Error(), "notification_outbox_event_check") {
		t.Fatalf("err = %v, want the outbox CHECK", err)
	}
	if n := st.Count(t, `SELECT count(*) FROM cards WHERE id = $1`, c.ID); n != 0 {
		t.Fatal("card written although its e-mail could not be queued")
	}
	if _, _, err := st.InsertCardQueuing(ctx, c, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.TransitionCard(ctx, store.Transition{CardID: c.ID, To: cards.StateApproved, Actor: "bob", At: time.Now(), Notify: bad}); err == nil {
		t.Fatal("transition succeeded with a refused outbox row")
	}
	if got, _ := st.Card(ctx, c.ID); got.State != cards.StateRequested {
		t.Fatalf("card is %s although its e-mail could not be queued", got.State)
	}
}

// queueN stores n requested cards (of distinct types, so that all are
// open) with their queued event, and returns their ids.
func queueN(t *testing.T, st *store.Store, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		c := requestedCard(fmt.Sprintf("type-%d", i))
		if _, _, err := st.InsertCardQueuing(context.Background(), c, time.Now(), queued("requested", c.ID)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func TestClaimLeasesAndFencesRows(t *testing.T) {
	ctx := context.Background()
	st := outboxStore(t)
	queueN(t, st, 3)
	first, err := st.ClaimOutbox(ctx, 2, time.Hour, nil, store.NewOutboxClaim())
	if err != nil || len(first) != 2 || first[0].Attempts != 1 || string(first[0].Input) == "" {
		t.Fatalf("first claim: %+v, %v", first, err)
	}
	second, err := st.ClaimOutbox(ctx, 2, time.Hour, nil, store.NewOutboxClaim())
	if err != nil || len(second) != 1 {
		t.Fatalf("second claim: %d rows, %v; want the one left", len(second), err)
	}
	if none, err := st.ClaimOutbox(ctx, 2, time.Hour, nil, store.NewOutboxClaim()); err != nil || len(none) != 0 {
		t.Fatalf("third claim: %d rows, %v; want none while the leases hold", len(none), err)
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox WHERE due_at BETWEEN now() + interval '59 minutes' AND now() + interval '61 minutes'`); n != 3 {
		t.Fatalf("%d rows leased for an hour, want 3", n)
	}

	// The lease of the second claim runs out: the row is claimed again,
	// and the first claimer can no longer finish or reschedule it.
	stale := second[0]
	if _, err := st.DB.Exec(`UPDATE notification_outbox SET due_at = now() - interval '1 second' WHERE card_id = $1`, stale.CardID); err != nil {
		t.Fatal(err)
	}
	again, err := st.ClaimOutbox(ctx, 10, time.Hour, nil, store.NewOutboxClaim())
	if err != nil || len(again) != 1 || again[0].CardID != stale.CardID || again[0].Attempts != 2 {
		t.Fatalf("claim after the lease: %+v, %v", again, err)
	}
	if n, err := st.FinishOutbox(ctx, []store.OutboxKey{stale.Key()}); err != nil || n != 0 {
		t.Fatalf("stale finish deleted %d, %v; want 0", n, err)
	}
	if err := st.RescheduleOutbox(ctx, []store.OutboxRetry{{OutboxKey: stale.Key(), Error: "stale"}}); err != nil {
		t.Fatal(err)
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox WHERE last_error = 'stale' OR due_at <= now()`); n != 0 {
		t.Fatalf("a stale reschedule changed %d rows", n)
	}
	keys := []store.OutboxKey{first[0].Key(), first[1].Key(), again[0].Key()}
	if n, err := st.FinishOutbox(ctx, keys); err != nil || n != 3 {
		t.Fatalf("finish deleted %d, %v; want 3", n, err)
	}
}

func TestRescheduleSetsTheBackoffAndKeepsTheLastError(t *testing.T) {
	ctx := context.Background()
	st := outboxStore(t)
	queueN(t, st, 2)
	rows, err := st.ClaimOutbox(ctx, 2, time.Hour, nil, store.NewOutboxClaim())
	if err != nil || len(rows) != 2 {
		t.Fatalf("claim: %d, %v", len(rows), err)
	}
	retries := []store.OutboxRetry{
		{OutboxKey: rows[0].Key(), Delay: 4 * time.Second, Error: "451 mailbox busy"},
		{OutboxKey: rows[1].Key()}, // put back at once
	}
	if err := st.RescheduleOutbox(ctx, retries); err != nil {
		t.Fatal(err)
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox WHERE card_id = $1 AND last_error = '451 mailbox busy'
		AND due_at BETWEEN now() + interval '3 seconds' AND now() + interval '5 seconds'`, rows[0].CardID); n != 1 {
		t.Fatal("the failed row is not due in 4s with its error")
	}
	back, err := st.ClaimOutbox(ctx, 2, time.Hour, nil, store.NewOutboxClaim())
	if err != nil || len(back) != 1 || back[0].CardID != rows[1].CardID || back[0].Attempts != 2 {
		t.Fatalf("claim after the release: %+v, %v; want the released row only", back, err)
	}
	if err := st.RescheduleOutbox(ctx, []store.OutboxRetry{{OutboxKey: store.OutboxKey{CardID: rows[0].CardID, Event: "requested", Attempts: 1}, Delay: -time.Second}}); err != nil {
		t.Fatal(err)
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox WHERE card_id = $1 AND last_error = '451 mailbox busy' AND due_at <= now()`, rows[0].CardID); n != 1 {
		t.Fatal("a reschedule without an error lost the last error")
	}
}

// Dispatchers in several workers claim concurrently: every row goes to
// exactly one of them.
func TestConcurrentClaimsNeverShareARow(t *testing.T) {
	ctx := context.Background()
	st := outboxStore(t)
	want := queueN(t, st, 60)
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				rows, err := st.ClaimOutbox(ctx, 5, time.Hour, nil, store.NewOutboxClaim())
				if err != nil {
					t.Error(err)
					return
				}
				if len(rows) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rows {
					got = append(got, r.CardID)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("claimed %d rows (%d distinct wanted): some row claimed twice or never", len(got), len(want))
	}
}

// A claim can finish the caller's last batch in the same statement; a
// finished row whose lease ran out is deleted, not claimed again.
func TestClaimFinishesTheLastBatch(t *testing.T) {
	ctx := context.Background()
	st := outboxStore(t)
	queueN(t, st, 3)
	first, err := st.ClaimOutbox(ctx, 2, time.Hour, nil, store.NewOutboxClaim())
	if err != nil || len(first) != 2 {
		t.Fatalf("first claim: %d rows, %v", len(first), err)
	}
	if _, err := st.DB.Exec(`UPDATE notification_outbox SET due_at = now() - interval '1 second' WHERE card_id = $1`, first[0].CardID); err != nil {
		t.Fatal(err)
	}
	writes0, _ := st.Counts()
	next, err := st.ClaimOutbox(ctx, 10, time.Hour, []store.OutboxKey{first[0].Key(), first[1].Key()}, store.NewOutboxClaim())
	if err != nil || len(next) != 1 || next[0].CardID == first[0].CardID || next[0].CardID == first[1].CardID {
		t.Fatalf("finishing claim: %+v, %v; want the third row only", next, err)
	}
	if n := st.Count(t, `SELECT count(*) FROM notification_outbox`); n != 1 {
		t.Fatalf("%d rows left, want the one just claimed", n)
	}
	if writes, _ := st.Counts(); writes-writes0 != 1 {
		t.Fatalf("finish and claim took %d write transactions, want 1", writes-writes0)
	}
}

// The claim finds due rows through the due_at index, not a scan of the
// table.
func TestClaimIsServedByTheDueIndex(t *testing.T) {
	st := outboxStore(t)
	conn, err := st.DB.Connx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan []string
	finished := []string{uuid.NewString()}
	if err := conn.SelectContext(context.Background(), &plan, `EXPLAIN `+store.ClaimOutboxSQL, 32, 60.0,
		pq.Array(finished), pq.Array([]string{"requested"}), pq.Array([]int64{1}), store.NewOutboxClaim()); err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(plan, "\n"); !strings.Contains(text, "notification_outbox_due") || !strings.Contains(text, "notification_outbox_claim") {
		t.Fatalf("the claim does not use notification_outbox_due and notification_outbox_claim:\n%s", text)
	}
}
