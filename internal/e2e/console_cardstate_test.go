package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/console"
	"github.com/cardflow/cardflow/internal/inbox"
	"github.com/cardflow/cardflow/internal/testkit"
)

// TestConsoleDeactivatesApprovesAndLocksACard drives Deactivate card with
// an approval, Postpone, Approve, Lock card and the Inbox's pager through
// the console in headless Chromium (tools/uicheck/console-cardstate.mjs),
// against a worker with Issue card on, a real print station and the local
// CA: olivia deactivates an active guarded card; alice finds the
// deactivation in her Inbox, postpones it, then approves it; olivia is
// offered Reactivate and Lock on the inactive card and locks it. The
// Inbox holds one page and one more approval of requests besides.
// Screenshots: docs/screenshots/card-buttons.png, inbox-deactivation.png,
// card-locked.png.
func TestConsoleDeactivatesApprovesAndLocksACard(t *testing.T) {
	t.Parallel()
	testkit.Integration(t)
	node, _ := browserDriver(t)
	script := filepath.Join(testkit.Root(), "tools", "uicheck", "console-cardstate.mjs")
	h := newHarness(t, withProduction(), func(h *harness) { h.policyPath = writePolicy(h.t, guardedPolicy()) })
	card := h.activeCard("guarded")

	// One Inbox page of standard requests and one more, all older than
	// the deactivation, so that it is first and the pager has a second page.
	waiting := inbox.PageSize + 1
	requestMany(t, h, &cardops.Client{Temporal: h.client, TaskQueue: h.taskQueue}, waiting)
	if n := h.sqlCount(`SELECT count(*) FROM approvals WHERE state = 'open' AND operation = 'request'`); n != waiting {
		t.Fatalf("%d open request approvals, want %d", n, waiting)
	}

	consoleAddr := testkit.FreeAddr(t)
	consoleURL := "http://" + consoleAddr
	issuer := testkit.Dex(t, consoleURL+"/auth/callback", "olivia", "alice")
	startConsole(t, h, consoleAddr, consoleURL, issuer, func(c *console.Config) { c.StationOutputRoot = filepath.Dir(h.prod.station.Output) })

	out := os.Getenv("CARDFLOW_SCREENSHOTS")
	if out == "" {
		out = filepath.Join(testkit.Root(), "docs", "screenshots")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "--console", consoleURL, "--issuer", issuer, "--card", card.ID,
		"--waiting", fmt.Sprint(waiting), "--page-size", fmt.Sprint(inbox.PageSize), "--out", out)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	t.Logf("browser scenarios:\n%s", output.String())
	if err != nil {
		t.Fatalf("browser scenarios failed: %v", err)
	}

	// What the browser did is what PostgreSQL and the CA hold.
	locked := h.statusOf("status", "--card", card.ID)
	if locked.State != cards.StateLocked {
		t.Fatalf("card %s after the browser, want locked", locked.State)
	}
	h.wantOCSP(locked, ca.StatusRevoked, "locked")
	trail := strings.Join(h.events(card.ID), "\n")
	for _, want := range []string{"active->active by alice: waiting for HR to confirm", "active->active by alice: HR confirmed",
		"active->inactive", "inactive->locked by olivia: card reported stolen"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, trail)
		}
	}
	for what, query := range map[string]string{
		"deactivation approvals closed approved": `SELECT count(*) FROM approvals WHERE card_id = $1 AND operation = 'deactivation' AND state = 'approved'`,
		"postpone rows":                          `SELECT count(*) FROM card_events WHERE card_id = $1 AND event = 'postpone'`,
		"approve rows":                           `SELECT count(*) FROM card_events WHERE card_id = $1 AND event = 'approve'`,
	} {
		if n := h.sqlCount(query, card.ID); n != 1 {
			t.Errorf("%d %s, want 1", n, what)
		}
	}
}

// sqlCount runs a count query on the test's database.
func (h *harness) sqlCount(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.store.DB.GetContext(context.Background(), &n, query, args...); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}
