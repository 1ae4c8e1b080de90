package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The steps of Deactivate card with approval the faults land in.
const (
	authorizeActivity      = "AuthorizeDecision"
	deactivateHoldActivity = "HoldAgain"
	// deactivateHold is in Deactivate card's hold requests to CFSSL's
	// revoke API.
	deactivateHold = `"reason":"certificateHold"`
)

// guardedPolicy is ProductionPolicy plus card type guarded: no request
// approval, but Deactivate card needs one approver (as in the e2e suite).
const guardedPolicy = testkit.ProductionPolicy + `  guarded:
    approval: {required: false}
    deactivation:
      approval: {required: true, approvers: 1, timeout: 168h}
`

// newGuardedWorld is an issueWorld whose policy has the guarded card type.
func newGuardedWorld(t *testing.T) *issueWorld {
	t.Helper()
	w := newIssueWorld(t)
	w.policyPath = filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(w.policyPath, []byte(guardedPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// activeGuardedCard issues and activates a guarded card for a new holder.
func (w *issueWorld) activeGuardedCard(holder, stationID string) string {
	w.t.Helper()
	w.cardholders(holder, 1)
	p, id := w.request(w.temporal, holder+"-1", "guarded")
	checkRuns(w.t, w.wait(30*time.Second, p))
	w.waitApproved(id, 10*time.Second)
	checkRuns(w.t, w.wait(60*time.Second, w.issue(id, stationID, false)))
	checkRuns(w.t, w.wait(30*time.Second, w.starter(w.temporal, "activate", "--card", id, "--operator", "olivia")))
	if got := w.card(id).State; got != cards.StateActive {
		w.t.Fatalf("card %s after activate, want active", got)
	}
	return id
}

// deactivateAwaitingApproval starts Deactivate card and returns once its
// approval row is open (the starter returns then too).
func (w *issueWorld) deactivateAwaitingApproval(cardID string) {
	w.t.Helper()
	checkRuns(w.t, w.wait(30*time.Second, w.starter(w.temporal, "deactivate", "--card", cardID, "--operator", "olivia", "--comment", "on leave")))
	if n := w.count(`SELECT count(*) FROM approvals WHERE card_id = $1 AND operation = 'deactivation' AND state = 'open'`, cardID); n != 1 {
		w.t.Fatalf("%d open deactivation approvals once deactivate returned, want 1", n)
	}
	if got := w.card(cardID).State; got != cards.StateActive {
		w.t.Fatalf("card %s while its deactivation waits for approval, want active", got)
	}
}

// neverInactiveWhileGood fails the test if the card shows inactive while
// a certificate of it still says good at the CA.
func (w *issueWorld) neverInactiveWhileGood(cardID string, serials []string) {
	w.t.Helper()
	if got := w.card(cardID).State; got == cards.StateInactive {
		for _, s := range serials {
			if st := w.ocsp(s); st == string(ca.StatusGood) {
				w.t.Fatalf("card shows inactive while OCSP says good for certificate %s", s)
			}
		}
	}
}

// waitState waits until the card is in state want.
func (w *issueWorld) waitState(cardID string, want cards.State, within time.Duration, check func()) {
	w.t.Helper()
	testkit.Eventually(w.t, within, func() (bool, string) {
		if check != nil {
			check()
		}
		got := w.card(cardID).State
		return got == want, fmt.Sprintf("card %s is %s, not %s\n%s", cardID, got, want, w.trail(cardID))
	})
}

// deactivationFigures are what the card's rows say after a deactivation
// with approval, each wanted once.
func (w *issueWorld) deactivationFigures(cardID string) figures {
	return figures{
		"deactivate audit rows": w.events(cardID, "deactivate"),
		"approve vote rows":     w.events(cardID, "approve"),
		"approval rows":         w.count(`SELECT count(*) FROM approvals WHERE card_id = $1`, cardID),
		"approval rows closed approved": w.count(`SELECT count(*) FROM approvals WHERE card_id = $1 AND operation = 'deactivation'
			AND state = 'approved' AND closed_at IS NOT NULL AND approved_by = '{alice}'`, cardID),
		"certificates recorded on hold": w.count(`SELECT count(*) FROM card_certificates WHERE card_id = $1 AND status = 'hold'`, cardID),
	}
}

// wantDeactivated checks the end state of a deactivation with approval:
// inactive, each row once, every certificate on hold at the CA (OCSP), and
// nothing doubled anywhere in the database.
func (w *issueWorld) wantDeactivated(cardID string, certs []string) figures {
	w.t.Helper()
	if got := w.card(cardID).State; got != cards.StateInactive {
		w.t.Fatalf("card %s after the approval, want inactive\n%s", got, w.trail(cardID))
	}
	f := w.deactivationFigures(cardID)
	// A row written twice is the same event, states, actor and comment
	// again (an activation and a deactivation's request both end in
	// active, so world.counts' measure does not fit a card's later life).
	f["doubled rows"] = w.count(`SELECT count(*) FROM (SELECT 1 FROM card_events WHERE card_id = $1
		GROUP BY event, from_state, to_state, actor, comment HAVING count(*) > 1) d`, cardID)
	w.t.Logf("audit trail of card %s:\n%s", cardID, w.trail(cardID))
	f.want(w.t, map[string]int{
		"deactivate audit rows": 1, "approve vote rows": 1, "approval rows": 1, "approval rows closed approved": 1,
		"certificates recorded on hold": len(certs), "doubled rows": 0,
	})
	for _, s := range certs {
		if got := w.ocsp(s); got != string(ca.StatusHold) {
			w.t.Errorf("OCSP says %s for certificate %s of the inactive card, want hold", got, s)
		}
	}
	return f
}

// Deactivate card with approval, the worker SIGKILLed three times: while
// the deactivation waits for its approval; while the approve that arrived
// during a PostgreSQL cut waits for its approver check; and while the
// vote's audit row is being written (the INSERT held back by a table lock
// once the database is back). Each time a new worker takes over; at the
// end the card is inactive once, its certificates on hold once, with one
// vote row, one deactivate row and the approval closed approved once.
func TestDeactivateWithApprovalWorkerKilledAndDatabaseCut(t *testing.T) {
	t.Parallel()
	w := newGuardedWorld(t)
	db := newDBProxy(t)
	dbURL := db.url(t, w.databaseURL)
	start := func(name string) *workerProc {
		return w.world.startWorker(name, dbURL, w.temporal,
			"CARDS_SECRET_KEYS="+w.secretKeys, "CARDS_PIN_LETTER_DIR="+w.pinLetters,
			"CARDS_CA_URL="+w.ca.Config.URL, "CARDS_CA_OCSP_URL="+w.ca.Config.OCSPURL,
			"CARDS_CA_DIR="+w.ca.Config.CADir, "CARDS_CA_DB_URL="+w.ca.Config.CertDBURL)
	}
	first := start("first")
	printer := w.startStation("printer", w.ca.Authority)
	cardID := w.activeGuardedCard("guarded", printer.ID)
	certs := serials(cardID, 1, ca.Authentication, ca.Signing)
	began := time.Now()

	// 1. Killed while the deactivation waits for its approval.
	w.deactivateAwaitingApproval(cardID)
	first.kill()
	second := start("second")

	// 2. PostgreSQL cut; the approve arrives and its approver check
	// retries; the worker is killed there.
	db.cut()
	cutAt := time.Now()
	approve := w.starter(w.temporal, "approve", "--card", cardID, "--approver", "alice", "--comment", "holder on leave")
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		_, p := w.pendingActivity(cardID, authorizeActivity)
		return p != nil && p.GetLastFailure() != nil, fmt.Sprintf("%s pending: %v", authorizeActivity, p)
	})
	second.kill()
	if got := w.card(cardID).State; got != cards.StateActive {
		t.Fatalf("card %s while its approval cannot be checked, want active", got)
	}

	// 3. The vote's audit row held back by a lock on card_events once
	// PostgreSQL is back; the worker is killed while its INSERT waits.
	lock, err := w.store.DB.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Rollback() }()
	if _, err := lock.Exec(`LOCK TABLE card_events IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	db.restore(t)
	outage := time.Since(cutAt)
	third := start("third")
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		n := waitingOn(t, w.store.DB, "card_events")
		return n > 0, fmt.Sprintf("%d writes wait on card_events", n)
	})
	third.kill()
	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	start("fourth")

	checkRuns(t, w.wait(60*time.Second, approve))
	w.waitState(cardID, cards.StateInactive, 30*time.Second, func() { w.neverInactiveWhileGood(cardID, certs) })
	f := w.wantDeactivated(cardID, certs)
	t.Logf("Deactivate with approval: worker SIGKILLed while waiting for approval, while the approve waited out a %s PostgreSQL cut, and while the vote's INSERT waited on a lock; inactive %s after the deactivation was asked; %s",
		outage.Round(time.Millisecond), time.Since(began).Round(time.Millisecond), f)
}

// waitingOn counts the statements that wait for a lock on table.
func waitingOn(t *testing.T, db *sqlx.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = $1::regclass`, table); err != nil {
		t.Fatal(err)
	}
	return n
}

// Deactivate card with approval, the CA cut at the first hold after the
// approval: the card never shows inactive while a certificate says good,
// and stays active for as long as the CA is down; once it is back the
// card is inactive, its certificates on hold, each row once.
func TestDeactivateWithApprovalCACutWhileHolding(t *testing.T) {
	t.Parallel()
	w := newGuardedWorld(t)
	workerCA := newCAProxy(t, "worker-ca", w.ca.Config)
	w.startWorker("worker", workerCA.Config)
	printer := w.startStation("printer", w.ca.Authority)
	cardID := w.activeGuardedCard("held", printer.ID)
	certs := serials(cardID, 1, ca.Authentication, ca.Signing)

	w.deactivateAwaitingApproval(cardID)
	holdFails := workerCA.cutOn(deactivateHold)
	approve := w.starter(w.temporal, "approve", "--card", cardID, "--approver", "alice", "--comment", "holder on leave")
	waitCut(t, holdFails, "the first hold", 30*time.Second)
	cutAt := time.Now()
	var runID string
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		w.neverInactiveWhileGood(cardID, certs)
		id, hold := w.pendingActivity(cardID, deactivateHoldActivity)
		runID = id
		return betweenAttempts(hold, 3), fmt.Sprintf("%s pending: %v", deactivateHoldActivity, hold)
	})
	if got := w.card(cardID).State; got != cards.StateActive {
		t.Fatalf("card %s while its certificates cannot be held, want active", got)
	}
	outage := time.Since(cutAt)
	workerCA.restore()
	restoredAt := time.Now()
	w.waitState(cardID, cards.StateInactive, 60*time.Second, func() { w.neverInactiveWhileGood(cardID, certs) })
	inactiveAfter := time.Since(restoredAt)
	checkRuns(t, w.wait(30*time.Second, approve))
	f := w.wantDeactivated(cardID, certs)
	acts := w.activities(cardID, runID)
	f["HoldAgain scheduled"] = acts[deactivateHoldActivity].Scheduled
	f["Transition scheduled"] = acts["Transition"].Scheduled
	f.want(t, map[string]int{"HoldAgain scheduled": 1, "Transition scheduled": 1})
	t.Logf("CA cut at Deactivate card's first hold after the approval, down %s; inactive %s after it came back; HoldAgain took %d attempts; %s",
		outage.Round(time.Millisecond), inactiveAfter.Round(time.Millisecond), acts[deactivateHoldActivity].Attempts, f)
}
