package faults

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/cardstate"
)

// textStarter runs the real starter code in the background as a person
// at a terminal does: without --json, so that it prints progress lines.
func (w *world) textStarter(args ...string) *pending {
	return w.runStarter(w.temporal, false, args)
}

// statusOf runs `starter status --card ID --json` and decodes it.
func (w *world) statusOf(cardID string) cards.Status {
	w.t.Helper()
	r := w.wait(30*time.Second, w.starter(w.temporal, "status", "--card", cardID))[0]
	var s cards.Status
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil {
		w.t.Fatalf("status --card %s: exit %d\n%s%s", cardID, r.code, r.stdout, r.stderr.String())
	}
	return s
}

// Lock card with the CA down: while the revocation is retried, `starter
// status` says so (the document's operation.waiting and waiting, the
// text's waiting line: the step, the attempt and the CA's connection
// error), and the waiting `starter lock` prints a progress line per failed
// attempt; once the CA is back the card is locked and nothing waits.
func TestLockWithTheCADownSaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	w := newIssueWorld(t)
	workerCA := newCAProxy(t, "worker-ca", w.ca.Config)
	w.startWorker("worker", workerCA.Config)
	printer := w.startStation("printer", w.ca.Authority)
	cardID := w.activeCard("waiting", printer.ID)

	workerCA.cut()
	lock := w.textStarter("lock", "--card", cardID, "--operator", "olivia", "--comment", "lost on the train")
	const revoking = "Revoke certificates, attempt "
	var s cards.Status
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		s = w.statusOf(cardID)
		return s.Operation != nil && strings.HasPrefix(s.Operation.Waiting, revoking), fmt.Sprintf("operation %+v", s.Operation)
	})
	if s.State != cards.StateActive || s.Operation.Type != cardstate.LockType || s.Operation.Step != "revoking the certificates" ||
		!strings.Contains(s.Operation.Waiting, "connection refused") || s.Waiting != s.Operation.Waiting {
		t.Fatalf("status while the CA is down: state %s, operation %+v, waiting %q", s.State, s.Operation, s.Waiting)
	}
	t.Logf("status --json while the CA is down: operation.waiting %q", s.Operation.Waiting)
	text := w.wait(30*time.Second, w.textStarter("status", "--card", cardID))[0]
	if text.code != 0 || !strings.Contains(text.stdout, "  operation:   LockCard: revoking the certificates\n") ||
		!strings.Contains(text.stdout, "  waiting:     "+revoking) {
		t.Fatalf("status text while the CA is down: exit %d\n%s%s", text.code, text.stdout, text.stderr.String())
	}
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		progress := lock.run.stderr.String()
		return strings.Contains(progress, "  … waiting: "+revoking) && strings.Contains(progress, "connection refused"), "lock's progress:\n" + progress
	})

	workerCA.restore()
	r := w.wait(90*time.Second, lock)[0]
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Card "+cardID+" is locked.\n") {
		t.Fatalf("lock: exit %d\n%s%s", r.code, r.stdout, r.stderr.String())
	}
	t.Logf("lock's progress lines:\n%s", r.stderr.String())
	// One line per failed attempt, not one per second of countdown.
	seen := map[string]bool{}
	for _, line := range strings.Split(r.stderr.String(), "\n") {
		if !strings.HasPrefix(line, "  … waiting: ") {
			continue
		}
		attempt, _, _ := strings.Cut(line, "; retrying in ")
		if seen[attempt] {
			t.Errorf("progress repeats %q:\n%s", attempt, r.stderr.String())
		}
		seen[attempt] = true
	}
	s = w.statusOf(cardID)
	if s.State != cards.StateLocked || s.Operation != nil || s.Waiting != "" {
		t.Fatalf("status once the CA is back: state %s, operation %+v, waiting %q", s.State, s.Operation, s.Waiting)
	}
}
