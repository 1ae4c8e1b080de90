package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/console"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
)

// TestConsoleInABrowser runs the web console for real: a Dex it starts,
// the console, a worker, the dev server and PostgreSQL (payloads encrypted), driven in headless
// Chromium by tools/uicheck/console.mjs through each console scenario.
// Screenshots go to docs/screenshots (CARDFLOW_SCREENSHOTS overrides).
func TestConsoleInABrowser(t *testing.T) {
	t.Parallel()
	testkit.Integration(t) // Chromium, besides what the harness starts
	node, script := browserDriver(t)
	// Encrypted payloads, as make up runs it: the console reads statuses
	// and refusals through the same codec as the worker.
	h := newHarness(t, withCodec())
	for _, u := range []cards.User{
		{ID: "erin", GivenName: "Erin", Surname: "Ellis", UPN: "erin@example.com", Email: "erin@example.com", State: "active"},
		{ID: "frank", GivenName: "Frank", Surname: "Fisher", UPN: "frank@example.com", Email: "frank@example.com", State: "active"},
		{ID: "gina", GivenName: "Gina", Surname: "Green", UPN: "gina@example.com", Email: "gina@example.com", State: "active"},
		{ID: "hank", GivenName: "Hank", Surname: "Hill", UPN: "hank@example.com", Email: "hank@example.com", State: "active"},
	} {
		if err := h.store.UpsertUserWithRoles(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	consoleAddr := testkit.FreeAddr(t)
	consoleURL := "http://" + consoleAddr
	issuer := testkit.Dex(t, consoleURL+"/auth/callback", "olivia", "alice", "bernard", "mallory", "stranger")
	startConsole(t, h, consoleAddr, consoleURL, issuer)

	// Cards waiting before anyone signs in: one to reject, one to cancel,
	// one nobody may decide by a forged or unauthorised post.
	toReject := h.statusOf("request", "--user", "erin", "--operator", "olivia").ID
	toCancel := h.statusOf("request", "--user", "frank", "--operator", "olivia").ID
	waiting := h.statusOf("request", "--user", "hank", "--operator", "olivia").ID

	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>Prize</title><form method="post" action="%s/cards/%s/approve">
			<input type="hidden" name="comment" value="forged"><button type="submit">Claim your prize</button></form>`, consoleURL, waiting)
	}))
	t.Cleanup(attacker.Close)

	out := os.Getenv("CARDFLOW_SCREENSHOTS")
	if out == "" {
		out = filepath.Join(testkit.Root(), "docs", "screenshots")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "--console", consoleURL, "--issuer", issuer, "--attacker", attacker.URL,
		"--reject-card", toReject, "--cancel-card", toCancel, "--waiting-card", waiting, "--out", out)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	t.Logf("browser scenarios:\n%s", output.String())
	if err != nil {
		t.Fatalf("browser scenarios failed: %v", err)
	}

	// What the browser did is what PostgreSQL holds, with the signed-in
	// people as actors.
	var requested string
	if err := h.store.DB.Get(&requested, `SELECT id FROM cards WHERE user_id = 'gina'`); err != nil {
		t.Fatalf("the card requested in the browser is not in PostgreSQL: %v", err)
	}
	for id, want := range map[string][]string{
		// Each vote is an audit row of its own (from and to requested),
		// then the state change; a cancel is no vote.
		requested: {"->requested by olivia: requested; waiting for 1 approval(s)", "requested->requested by alice: Known to me, starts Monday", "requested->approved by alice: Known to me, starts Monday"},
		toReject:  {"->requested by olivia: requested; waiting for 1 approval(s)", "requested->requested by bernard: Not employed here any more", "requested->rejected by bernard: Not employed here any more"},
		toCancel:  {"->requested by olivia: requested; waiting for 1 approval(s)", "requested->aborted by olivia: Asked for by mistake"},
		waiting:   {"->requested by olivia: requested; waiting for 1 approval(s)", "requested->requested by alice: ", "requested->approved by alice: "},
	} {
		if got := h.events(id); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit trail of %s:\n%s\nwant:\n%s", id, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if n := h.countCards("hank"); n != 1 {
		t.Errorf("hank has %d cards; Cancel on Request card must write nothing", n)
	}
}

// browserDriver finds node, Chromium and playwright-core, which
// scripts/test.sh installs (ensure_chromium); a missing one fails the test
// with what to run.
func browserDriver(t *testing.T) (node, script string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the console's browser test needs Node.js (run `make test`, which installs what tests need)")
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("Chromium not found at %s: run `make test` (scripts/test.sh installs it with ensure_chromium) or set CHROMIUM", chromium)
	}
	tools := filepath.Join(testkit.Root(), "tools", "uicheck")
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed in %s: run `make test` (or `cd tools/uicheck && npm ci`)", tools)
	}
	return node, filepath.Join(tools, "console.mjs")
}

// startConsole runs the real console (console.Run, what `console` runs)
// against the harness's database, task queue and Temporal, until the test
// ends; tweaks change its settings (the stations' output root, ...).
func startConsole(t *testing.T, h *harness, addr, url, issuer string, tweaks ...func(*console.Config)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	cfg := console.Config{
		Listen:      addr,
		URL:         url,
		Auth:        console.AuthConfig{Issuer: issuer, ClientID: testkit.DexClientID, ClientSecret: testkit.DexClientSecret, UserClaim: "email"},
		DatabaseURL: h.databaseURL,
		TaskQueue:   h.taskQueue,
		PolicyPath:  h.policyPath,
		Temporal:    temporalconn.Settings{Address: h.temporal, Namespace: "default", CodecKeys: h.codecSetting()},
		Log:         zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		OnReady:     func(string) { close(ready) },
	}
	for _, tweak := range tweaks {
		tweak(&cfg)
	}
	go func() {
		done <- console.Run(ctx, cfg)
	}()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("console did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("console stopped with error: %v", err)
		}
	})
}
