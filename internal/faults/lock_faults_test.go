package faults

import (
	"fmt"
	"testing"
	"time"

	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The steps of Lock card the faults land in.
const (
	revokeActivity = "RevokeCertificates"
	// lockRevocation is in Lock card's revocation requests to CFSSL's
	// revoke API (a hold's reason is certificateHold).
	lockRevocation = `"reason":"cessationOfOperation"`
)

// activeCard issues and activates a visitor card for a new holder.
func (w *issueWorld) activeCard(holder, stationID string) string {
	w.t.Helper()
	id := w.approvedCard(holder)
	checkRuns(w.t, w.wait(60*time.Second, w.issue(id, stationID, false)))
	checkRuns(w.t, w.wait(30*time.Second, w.starter(w.temporal, "activate", "--card", id, "--operator", "olivia")))
	if got := w.card(id).State; got != cards.StateActive {
		w.t.Fatalf("card %s after activate, want active", got)
	}
	return id
}

// neverLocked fails the test if the card shows locked while a certificate
// of it is not yet revoked at the CA.
func (w *issueWorld) neverLocked(cardID string, serials []string) {
	w.t.Helper()
	if got := w.card(cardID).State; got == cards.StateLocked {
		for _, s := range serials {
			if st := w.ocsp(s); st != string(ca.StatusRevoked) {
				w.t.Fatalf("card shows locked while OCSP says %s for certificate %s", st, s)
			}
		}
	}
}

// Lock card with the CA cut at the first revocation, and the worker killed
// (SIGKILL) between two attempts of it: the card stays active (never
// locked before its certificates are revoked) for as long as the CA is
// down, whichever worker runs; once the CA is back a second worker locks
// it with one `lock` audit row, every certificate revoked once
// (cessationOfOperation), and the transition scheduled once.
func TestLockCAAndWorkerKilledMidLock(t *testing.T) {
	t.Parallel()
	w := newIssueWorld(t)
	workerCA := newCAProxy(t, "worker-ca", w.ca.Config)
	first := w.startWorker("first", workerCA.Config)
	printer := w.startStation("printer", w.ca.Authority)
	cardID := w.activeCard("locked", printer.ID)
	certs := serials(cardID, 1, ca.Authentication, ca.Signing)

	revokeFails := workerCA.cutOn(lockRevocation)
	start := time.Now()
	lock := w.starter(w.temporal, "lock", "--card", cardID, "--operator", "olivia", "--comment", "lost on the train")
	waitCut(t, revokeFails, "the first revocation", 30*time.Second)
	cutAt := time.Now()
	var revoke *workflowpb.PendingActivityInfo
	var runID string
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		w.neverLocked(cardID, certs)
		runID, revoke = w.pendingActivity(cardID, revokeActivity)
		return betweenAttempts(revoke, 2), fmt.Sprintf("%s pending: %v", revokeActivity, revoke)
	})
	if got := w.card(cardID).State; got != cards.StateActive {
		t.Fatalf("card %s while its certificates cannot be revoked, want active", got)
	}
	first.kill()
	killedAt := time.Since(start)

	w.startWorker("second", workerCA.Config)
	// The second worker retries the revocation against the cut CA.
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		w.neverLocked(cardID, certs)
		_, p := w.pendingActivity(cardID, revokeActivity)
		return p.GetAttempt() > revoke.GetAttempt() && p.GetLastFailure() != nil, fmt.Sprintf("%s pending: %v", revokeActivity, p)
	})
	if got := w.card(cardID).State; got != cards.StateActive {
		t.Fatalf("card %s after the second worker's attempts with the CA down, want active", got)
	}
	outage := time.Since(cutAt)
	workerCA.restore()
	restoredAt := time.Now()
	checkRuns(t, w.wait(90*time.Second, lock))
	lockedAfter := time.Since(restoredAt)

	if got := w.card(cardID).State; got != cards.StateLocked {
		t.Fatalf("card %s once the CA is back, want locked\n%s", got, w.trail(cardID))
	}
	acts := w.activities(cardID, runID)
	f := figures{
		"lock audit rows":               w.events(cardID, "lock"),
		"certificates recorded revoked": w.count(`SELECT count(*) FROM card_certificates WHERE card_id = $1 AND status = 'revoked' AND reason = 'cessationOfOperation'`, cardID),
		"revocations recorded after the lock row": w.count(`SELECT count(*) FROM card_certificates cc JOIN card_events e ON e.card_id = cc.card_id AND e.event = 'lock'
			WHERE cc.card_id = $1 AND cc.updated_at > e.at`, cardID),
		"RevokeCertificates scheduled": acts[revokeActivity].Scheduled,
		"Transition scheduled":         acts["Transition"].Scheduled,
		"CheckOperation scheduled":     acts["CheckOperation"].Scheduled,
	}
	t.Logf("CA cut at Lock card's first revocation; worker SIGKILLed %s in (between attempts %d and %d); CA down %s in all; locked %s after it came back (%s in all); RevokeCertificates took %d attempts",
		killedAt.Round(time.Millisecond), revoke.GetAttempt()-1, revoke.GetAttempt(), outage.Round(time.Millisecond),
		lockedAfter.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), acts[revokeActivity].Attempts)
	t.Logf("after the faults: %s", f)
	f.want(t, map[string]int{
		"lock audit rows": 1, "certificates recorded revoked": 2, "revocations recorded after the lock row": 0,
		"RevokeCertificates scheduled": 1, "Transition scheduled": 1, "CheckOperation scheduled": 1,
	})
	for _, s := range certs {
		if got := w.ocsp(s); got != string(ca.StatusRevoked) {
			t.Errorf("OCSP says %s for certificate %s of the locked card, want revoked", got, s)
		}
	}
}
