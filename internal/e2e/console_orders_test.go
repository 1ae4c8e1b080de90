package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/order"
)

// TestConsoleRequestOrder runs Request multiple cards through the console
// in headless Chromium (tools/uicheck/console-orders.mjs): an operator
// searches a new intake of 20 users, ticks them all and starts the order.
// The test holds the last five users' rows (SELECT ... FOR UPDATE), so
// their cards cannot be inserted (the insert's foreign key check waits):
// the pages show the order running with 15 cards done and 5 running. Once
// the browser has taken those screenshots the rows are let go, and the
// order page follows the order until it completes by itself. Every user
// then has one approved card. Screenshots:
// docs/screenshots/console-orders-running.png, console-orders-completed.png
// (the Batch orders list) and console-order-*.png (the order's page).
func TestConsoleRequestOrder(t *testing.T) {
	t.Parallel()
	testkit.Integration(t)
	node, _ := browserDriver(t)
	script := filepath.Join(testkit.Root(), "tools", "uicheck", "console-orders.mjs")
	h := newHarness(t)
	const intake, held = 20, 5
	ctx := context.Background()
	var users []string
	for i := 1; i <= intake; i++ {
		u := cards.User{ID: fmt.Sprintf("intake%02d", i), GivenName: "Intake", Surname: fmt.Sprintf("Starter %02d", i),
			UPN: fmt.Sprintf("intake%02d@example.com", i), Email: fmt.Sprintf("intake%02d@example.com", i), State: "active"}
		if err := h.store.UpsertUserWithRoles(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	// The last users' rows are held: their Request card waits to insert
	// the card (and retries, an infrastructure wait) until they are let go.
	tx, err := h.store.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT id FROM users WHERE id = ANY($1) FOR UPDATE`, pq.Array(users[intake-held:])); err != nil {
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
	signal := filepath.Join(t.TempDir(), "running-shown")
	browser := startBrowser(t, node, script, "--console", consoleURL, "--issuer", issuer, "--search", "intake",
		"--users", fmt.Sprint(intake), "--held", fmt.Sprint(held), "--signal", signal, "--out", out)

	var o store.Order
	browser.await("any order was written", func() (bool, string) {
		rows, err := h.store.ListOrders(ctx, store.OrderFilter{Limit: 1})
		if err != nil || len(rows) != 1 {
			return false, fmt.Sprint(rows, err)
		}
		o = rows[0]
		return true, ""
	})
	h.workflowIDs = append(h.workflowIDs, order.WorkflowID(o.ID))
	browser.awaitSignal("the running order was shown", signal)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	browser.finish()

	d, err := h.store.OrderDocument(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != store.OrderRequest || d.State != store.OrderCompleted || d.CreatedBy != "olivia" || d.Counts != (store.OrderCounts{Total: intake, Done: intake}) {
		t.Fatalf("order after the browser: %s %s by %s, %+v", d.Kind, d.State, d.CreatedBy, d.Counts)
	}
	for _, u := range users {
		if n := h.countCards(u); n != 1 {
			t.Errorf("user %s has %d cards, want 1", u, n)
		}
	}
}
