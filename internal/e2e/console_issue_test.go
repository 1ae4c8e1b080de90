package e2e

import (
	"bytes"
	"context"
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
	"github.com/cardflow/cardflow/internal/stationcmd"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
)

// TestConsoleIssuesAndActivatesACard issues and activates a card through
// the console's card page in headless Chromium (tools/uicheck/console-issue.mjs),
// against a worker with Issue card on, a real print station and the local
// CA (CFSSL): the page follows the production until the card is issued,
// shows its front and back as the station rendered them and the
// certificates on hold, then activates it. Screenshots:
// docs/screenshots/card-issued.png and card-active.png.
func TestConsoleIssuesAndActivatesACard(t *testing.T) {
	t.Parallel()
	testkit.Integration(t)
	node, _ := browserDriver(t)
	script := filepath.Join(testkit.Root(), "tools", "uicheck", "console-issue.mjs")
	h := newHarness(t, withCodec())
	authority := testkit.CA(t).Authority

	// Issue card on: the same policy with useCases.issueCard, and a
	// worker that has what production needs.
	policy := strings.Replace(testkit.Policy, "requestCard: true", "requestCard: true\n  issueCard: true", 1)
	if err := os.WriteFile(h.policyPath, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	h.stopWorker()
	cfg := h.workerConfig(zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	cfg.Production = workerapp.Production{
		SecretKeys:   writeKeyFile(t.TempDir(), "pin-1"),
		PINLetterDir: t.TempDir(),
		Authority:    authority,
	}
	h.startWorkerWith(cfg)

	stations := t.TempDir()
	testkit.Station(t, stationcmd.Config{
		ID: "station-1", Output: filepath.Join(stations, "station-1"), Issuer: authority,
		Temporal: temporalconn.Settings{Address: h.temporal, Namespace: "default", CodecKeys: h.codecSetting()},
		Logger:   zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
	})

	consoleAddr := testkit.FreeAddr(t)
	consoleURL := "http://" + consoleAddr
	issuer := testkit.Dex(t, consoleURL+"/auth/callback", "olivia", "alice")
	startConsole(t, h, consoleAddr, consoleURL, issuer, func(c *console.Config) { c.StationOutputRoot = stations })

	// A visitor card needs no approval: approved at once, ready to issue.
	card := h.statusOf("request", "--user", "mallory", "--card-type", "visitor", "--operator", "olivia")
	if card.State != cards.StateApproved {
		t.Fatalf("visitor card is %s, want approved", card.State)
	}

	out := os.Getenv("CARDFLOW_SCREENSHOTS")
	if out == "" {
		out = filepath.Join(testkit.Root(), "docs", "screenshots")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, "--console", consoleURL, "--issuer", issuer, "--card", card.ID, "--out", out)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	err := cmd.Run()
	t.Logf("browser scenarios:\n%s", output.String())
	if err != nil {
		t.Fatalf("browser scenarios failed: %v", err)
	}

	// What the browser did is what PostgreSQL and the CA hold, with olivia
	// as the operator.
	stored, err := h.store.Card(context.Background(), card.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != cards.StateActive || stored.CardNumber == "" || stored.ValidUntil == nil || stored.Station != "station-1" {
		t.Errorf("card after the browser: %+v, want active with a number, a validity and station-1", stored)
	}
	certs, err := h.store.Certificates(context.Background(), card.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 {
		t.Fatalf("certificates: %+v, want authentication and signing", certs)
	}
	for _, c := range certs {
		if c.Status != "good" {
			t.Errorf("%s certificate %s is %s after activation, want good", c.Usage, c.Serial, c.Status)
		}
		if status, err := authority.Status(context.Background(), c.Serial); err != nil || status != "good" {
			t.Errorf("OCSP says %s certificate %s is %q (%v), want good", c.Usage, c.Serial, status, err)
		}
	}
	var actors []string
	for _, e := range h.events(card.ID) {
		if strings.Contains(e, "->issued") || strings.Contains(e, "->active") {
			actors = append(actors, e)
		}
	}
	if len(actors) != 2 || !strings.Contains(actors[0], "by olivia") || !strings.Contains(actors[1], "issued->active by olivia") {
		t.Errorf("audit trail of the issue and activation: %q, want both by olivia", actors)
	}
}
