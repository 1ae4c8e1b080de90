package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/stationcmd"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/order"
)

// TestConsoleIssueOrder runs Issue multiple cards through the console in
// headless Chromium (tools/uicheck/console-issue-order.mjs), against a
// worker with Issue card on, a real print station and the local CA: an
// operator ticks six approved cards on the Cards list and starts the
// order at the test's station, whose first job fails (station fail-next).
// The station's CA certifies two cards, then answers as a CA that is down
// (gatedIssuer), so the pages show the order running with two cards done,
// the failed one and three running; once the browser has taken those
// screenshots the CA answers again, the order ends waiting with its
// failed card (the reason shown), and the operator repeats its production
// until the order completes. Every card is then issued once: one number
// each, one issue audit row each. Screenshots: docs/screenshots/
// console-issue-order-running.png, -waiting.png, -completed.png (the
// order's page) and console-orders-issue-running.png,
// console-orders-issue.png (the Batch orders list mid-run and at the end).
func TestConsoleIssueOrder(t *testing.T) {
	t.Parallel()
	testkit.Integration(t)
	node, _ := browserDriver(t)
	script := filepath.Join(testkit.Root(), "tools", "uicheck", "console-issue-order.mjs")
	h := newHarness(t, withProduction())
	ctx := context.Background()
	const total = 6
	ids := make([]string, total)
	for i := range ids {
		ids[i] = h.approvedCard("visitor").ID
	}
	// The order's station: the test's CA behind a gate that lets two
	// cards be certified, then answers as a CA that is down until the
	// test releases it (the station asks again, heartbeating, so the job
	// in hand stays running). Its first job fails (fail-next).
	gate := &gatedIssuer{Issuer: h.prod.ca.Authority, open: 2, passed: map[string]bool{}, held: make(chan struct{})}
	st := testkit.Station(t, stationcmd.Config{
		ID: h.stationID() + "-order", Issuer: gate,
		Temporal: temporalconn.Settings{Address: h.temporal, Namespace: "default", CodecKeys: h.codecSetting()},
		Logger:   zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
	})
	const failure = "the ribbon ran out (test)"
	if err := station.FailNext(st.Output, "RibbonOut", failure); err != nil {
		t.Fatal(err)
	}

	consoleAddr := testkit.FreeAddr(t)
	consoleURL := "http://" + consoleAddr
	issuer := testkit.Dex(t, consoleURL+"/auth/callback", "olivia", "alice")
	startConsole(t, h, consoleAddr, consoleURL, issuer)

	out := os.Getenv("CARDFLOW_SCREENSHOTS")
	if out == "" {
		out = filepath.Join(testkit.Root(), "docs", "screenshots")
	}
	dir := t.TempDir()
	shown := filepath.Join(dir, "running-shown")
	browser := startBrowser(t, node, script, "--console", consoleURL, "--issuer", issuer, "--station", st.ID,
		"--cards", fmt.Sprint(total), "--signal", shown, "--failure", failure, "--out", out)

	var o store.Order
	browser.await("the order written", func() (bool, string) {
		rows, err := h.store.ListOrders(ctx, store.OrderFilter{Limit: 1})
		if err != nil || len(rows) != 1 {
			return false, fmt.Sprint(rows, err)
		}
		o = rows[0]
		return true, ""
	})
	h.workflowIDs = append(h.workflowIDs, order.WorkflowID(o.ID))
	// The browser shows the order with two cards done, the failed one,
	// and the rest running (the station waits for the gate).
	browser.awaitSignal("the running order shown", shown)
	// The CA answers again: the cards waiting for it are produced.
	select {
	case <-gate.held:
	default:
		t.Fatal("the running order was shown, but the gate never held a card")
	}
	gate.release()
	browser.finish()

	d, err := h.store.OrderDocument(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != store.OrderIssue || d.State != store.OrderCompleted || d.CreatedBy != "olivia" || d.Round != 1 ||
		d.Counts != (store.OrderCounts{Total: total, Done: total}) {
		t.Fatalf("order after the browser: %s %s by %s round %d, %+v", d.Kind, d.State, d.CreatedBy, d.Round, d.Counts)
	}
	// Every card issued once, by olivia at the test's station: one number
	// each (the repeat kept the failed card's), one issue audit row each,
	// and one card failed once on the way.
	numbers := map[string]string{}
	failedOnce := 0
	for _, id := range ids {
		c := h.card(id)
		if c.State != cards.StateIssued || c.CardNumber == "" || c.Station != st.ID {
			t.Errorf("card %s: %s, number %q, station %q; want issued with a number at %s", id, c.State, c.CardNumber, c.Station, st.ID)
		}
		if other, dup := numbers[c.CardNumber]; dup {
			t.Errorf("cards %s and %s share number %s", other, id, c.CardNumber)
		}
		numbers[c.CardNumber] = id
		var issues, failures int
		if err := h.store.DB.Get(&issues, `SELECT count(*) FROM card_events WHERE card_id = $1 AND event = 'issue'`, id); err != nil {
			t.Fatal(err)
		}
		if err := h.store.DB.Get(&failures, `SELECT count(*) FROM card_events WHERE card_id = $1 AND to_state = 'failed' AND from_state IS DISTINCT FROM 'failed'`, id); err != nil {
			t.Fatal(err)
		}
		if issues != 1 {
			t.Errorf("card %s has %d issue audit rows, want 1: %q", id, issues, h.events(id))
		}
		failedOnce += failures
	}
	if failedOnce != 1 {
		t.Errorf("%d cards went failed on the way, want 1 (the station's fail-next)", failedOnce)
	}
}

// gatedIssuer certifies the keys of the first open cards it is asked for
// and answers for any other card as a CA that is down (a transient error,
// which the station rides out, asking again and heartbeating) until
// release: the station's job in hand then stays running as long as the
// test needs.
type gatedIssuer struct {
	ca.Issuer
	open     int
	mu       sync.Mutex
	passed   map[string]bool
	released bool
	// held is closed at the first card held.
	held     chan struct{}
	heldOnce sync.Once
}

func (g *gatedIssuer) Issue(ctx context.Context, r ca.IssueRequest) (ca.Certificate, error) {
	g.mu.Lock()
	pass := g.released || g.passed[r.CardID] || len(g.passed) < g.open
	if pass {
		g.passed[r.CardID] = true
	}
	g.mu.Unlock()
	if !pass {
		g.heldOnce.Do(func() { close(g.held) })
		return ca.Certificate{}, errors.New("the CA is held by the test")
	}
	return g.Issuer.Issue(ctx, r)
}

func (g *gatedIssuer) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = true
}
