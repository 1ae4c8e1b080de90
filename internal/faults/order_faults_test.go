package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// orderItemCounts are an order's items by state, counted from order_items
// itself (not the counts the orders row keeps).
type orderItemCounts struct {
	Total   int `db:"total"`
	Pending int `db:"pending"`
	Running int `db:"running"`
	Done    int `db:"done"`
	Failed  int `db:"failed"`
	Skipped int `db:"skipped"`
}

// orderItems counts the order's items by state from order_items.
func (w *world) orderItems(orderID string) orderItemCounts {
	w.t.Helper()
	var c orderItemCounts
	err := w.store.DB.GetContext(context.Background(), &c, `SELECT count(*) AS total,
		count(*) FILTER (WHERE state = 'pending') AS pending,
		count(*) FILTER (WHERE state = 'running') AS running,
		count(*) FILTER (WHERE state = 'done') AS done,
		count(*) FILTER (WHERE state = 'failed') AS failed,
		count(*) FILTER (WHERE state = 'skipped') AS skipped
		FROM order_items WHERE order_id = $1`, orderID)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// order reads the orders row; ok is false while it does not exist.
func (w *world) order(orderID string) (store.Order, bool) {
	w.t.Helper()
	o, err := w.store.Order(context.Background(), orderID)
	if errors.Is(err, store.ErrNoRows) {
		return o, false
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return o, true
}

// startRequestOrder runs `starter order request --users-file F --no-wait`
// for users and returns the order id.
func (w *world) startRequestOrder(users []string, flags ...string) string {
	w.t.Helper()
	file := filepath.Join(w.t.TempDir(), "users.txt")
	if err := os.WriteFile(file, []byte(strings.Join(users, "\n")+"\n"), 0o600); err != nil {
		w.t.Fatal(err)
	}
	args := append([]string{"order", "request", "--users-file", file, "--operator", "olivia", "--no-wait"}, flags...)
	runs := w.wait(60*time.Second, w.starter(w.temporal, args...))
	checkRuns(w.t, runs)
	var started struct{ ID, State string }
	if err := json.Unmarshal([]byte(runs[0].stdout), &started); err != nil || started.ID == "" {
		w.t.Fatalf("order request: stdout is not the started order (%v):\n%s", err, runs[0].stdout)
	}
	return started.ID
}

// The worker killed (SIGKILL) in the middle of a request order of 60
// users and a new one started: the order resumes where its history stands
// and completes; every item ends once (done, none left pending or
// running), every user has exactly one card with one request audit row, and
// the order's counts are its items'. The window is small (5) so that the
// kill lands while items are still to start, some with their cards stored
// but their progress not yet written (progress is written in batches).
func TestOrderWorkerKilledMidOrder(t *testing.T) {
	t.Parallel()
	const n = 60
	w := newWorld(t)
	users := w.cardholders("order", n)
	first := w.startWorker("first", w.databaseURL, w.temporal)
	start := time.Now()
	id := w.startRequestOrder(users, "--window", "5")

	// Some items done, not all: the kill lands mid-order.
	var before orderItemCounts
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		before = w.orderItems(id)
		return before.Done > 0 && before.Done < n, fmt.Sprintf("order %s items %+v, want some done but not all", id, before)
	})
	first.kill()
	killedAt := time.Since(start)
	before = w.orderItems(id) // what the dead worker left
	cardsBefore := w.counts().Persisted
	if before.Done == n {
		t.Fatalf("the order ended before the kill landed: %+v", before)
	}

	restart := time.Now()
	w.startWorker("second", w.databaseURL, w.temporal)
	var o store.Order
	testkit.Eventually(t, 120*time.Second, func() (bool, string) {
		var ok bool
		o, ok = w.order(id)
		return ok && o.State == store.OrderCompleted, fmt.Sprintf("order %s: %s %+v; items %+v", id, o.State, o.OrderCounts, w.orderItems(id))
	})
	finished := time.Since(restart)

	items := w.orderItems(id)
	c := w.counts()
	var doubledRequests, requestRows, usersWithoutOne, strangers, mismatched int
	q := func(dst *int, sql string, args ...any) {
		t.Helper()
		if err := w.store.DB.GetContext(context.Background(), dst, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	q(&requestRows, `SELECT count(*) FROM card_events WHERE event = 'request'`)
	q(&doubledRequests, `SELECT count(*) FROM (SELECT card_id FROM card_events WHERE event = 'request' GROUP BY 1 HAVING count(*) > 1) d`)
	q(&usersWithoutOne, `SELECT count(*) FROM users u WHERE u.id LIKE 'order-%'
		AND (SELECT count(*) FROM cards c WHERE c.user_id = u.id) <> 1`)
	q(&strangers, `SELECT count(*) FROM cards WHERE user_id NOT LIKE 'order-%'`)
	// Each done item names its user's card.
	q(&mismatched, `SELECT count(*) FROM order_items i LEFT JOIN cards c ON c.id = i.card_id
		WHERE i.order_id = $1 AND (c.id IS NULL OR c.user_id <> i.user_id)`, id)

	t.Logf("worker SIGKILLed %s into a request order of %d (window 5): items by then %+v, %d cards stored; after the restart the order completed in %s",
		killedAt.Round(time.Millisecond), n, before, cardsBefore, finished.Round(time.Millisecond))
	t.Logf("after: order counts %+v, items %+v; cards %d (approved %d), request audit rows %d, doubled %d, requests doubled %d",
		o.OrderCounts, items, c.Persisted, c.Approved, requestRows, c.Doubled, doubledRequests)

	if want := (orderItemCounts{Total: n, Done: n}); items != want {
		t.Errorf("order items %+v, want %+v: every item ended once, done", items, want)
	}
	if want := (store.OrderCounts{Total: n, Done: n}); o.OrderCounts != want {
		t.Errorf("order counts %+v, want %+v", o.OrderCounts, want)
	}
	if o.OrderCounts.Total != items.Total || o.Done != items.Done || o.Failed != items.Failed || o.Skipped != items.Skipped || o.Running != items.Pending+items.Running {
		t.Errorf("the order's counts %+v are not its items' %+v", o.OrderCounts, items)
	}
	if c.Persisted != n || c.Approved != n || strangers != 0 || usersWithoutOne != 0 {
		t.Errorf("cards %d (approved %d, of strangers %d), users without exactly one card %d; want one approved card per user", c.Persisted, c.Approved, strangers, usersWithoutOne)
	}
	if requestRows != n || doubledRequests != 0 || c.Doubled != 0 {
		t.Errorf("request audit rows %d, cards with two %d, doubled %d; want one per card", requestRows, doubledRequests, c.Doubled)
	}
	if mismatched != 0 {
		t.Errorf("%d items do not name their user's card", mismatched)
	}
}
