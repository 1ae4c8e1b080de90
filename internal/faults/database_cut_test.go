package faults

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/testkit"
)

// outage is how long PostgreSQL is cut.
const outage = 30 * time.Second

// PostgreSQL cut for 30 s while 20 requests and 5 approvals are in flight:
// every card is persisted, every approval written, none refused, none
// written twice, one audit row per state change. Meanwhile the worker keeps
// running, /readyz says why it is not ready, retries are counted by cause,
// the outage is logged once (and its end once), and the starter says what
// it waits for.
func TestDatabaseCutWhileRequestsAndApprovalsAreInFlight(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	proxy := newDBProxy(t)
	worker := w.startWorker("worker", proxy.url(t, w.databaseURL), w.temporal)
	worker.waitProbe("/readyz", http.StatusOK, 10*time.Second)

	// Five cards that wait for an approval, before the outage.
	waitingIDs := make([]string, 0, 5)
	var before []*pending
	for _, u := range w.cardholders("approve", 6) {
		p, id := w.request(w.temporal, u, "standard")
		before = append(before, p)
		waitingIDs = append(waitingIDs, id)
	}
	checkRuns(t, w.wait(30*time.Second, before...))

	impatientID := waitingIDs[5]
	waitingIDs = waitingIDs[:5]

	// Twenty requests sent, and the database cut while they run.
	inFlight := w.burst(w.temporal, "visitor", w.cardholders("visitor", 20))
	proxy.cut()
	cutAt := time.Now()
	storedAtCut := w.counts().Persisted - 6
	for _, id := range waitingIDs {
		inFlight = append(inFlight, w.starter(w.temporal, "approve", "--request", id, "--approver", "alice", "--comment", "approved during the outage"))
	}

	// An approver who waits only 12 s is told that the decision is
	// accepted and will be written, not that it failed.
	impatient := w.starter(w.temporal, "--timeout", "12s", "approve", "--request", impatientID, "--approver", "alice")

	body := worker.waitProbe("/readyz", http.StatusServiceUnavailable, 10*time.Second)
	if !strings.Contains(body, "PostgreSQL unreachable since") {
		t.Errorf("/readyz during the outage says %q; want the reason", body)
	}
	if code, _ := worker.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz during the outage: %d; the worker must keep running", code)
	}
	// The starter says what a waiting command waits for: the retrying
	// activity, its attempt and its last failure; so does `starter status`.
	_, progress := testkit.Poll(outage-2*time.Second, func() (bool, string) {
		s := anyPendingStderr(inFlight, " failed: ")
		return s != "", s
	})
	if progress == "" {
		t.Errorf("no starter printed what it waits for during the %s outage", outage)
	}
	status := w.starter(w.temporal, "status", "--request", waitingIDs[0])
	statusRun := w.wait(15*time.Second, status)[0]
	if statusRun.code != 0 || !strings.Contains(statusRun.stdout, `"waiting": "`) {
		t.Errorf("starter status during the outage: exit %d, no waiting line:\n%s\n%s", statusRun.code, statusRun.stdout, statusRun.stderr.String())
	}
	impatientRun := w.wait(30*time.Second, impatient)[0]
	if impatientRun.code != 1 || !strings.Contains(impatientRun.stdout, `"type": "NotYetDurable"`) ||
		!strings.Contains(impatientRun.stdout, "accepted but is not written yet") || !strings.Contains(impatientRun.stdout, "starter status --request "+impatientID) {
		t.Errorf("approve with a 12s timeout during the outage: exit %d\nstdout: %s\nstderr: %s", impatientRun.code, impatientRun.stdout, impatientRun.stderr.String())
	}
	time.Sleep(time.Until(cutAt.Add(outage))) // the fault's length, not a wait for a result
	proxy.restore(t)
	restoredAt := time.Now()
	worker.waitProbe("/readyz", http.StatusOK, 15*time.Second)
	readyAfter := time.Since(restoredAt)

	runs := w.wait(60*time.Second, inFlight...)
	answeredAfter := time.Since(restoredAt)
	refused := checkRuns(t, runs)
	c := w.counts()
	retries := worker.metric("cardflow_activity_retries_total", `cause="database_unreachable"`)
	t.Logf("PostgreSQL cut for %s (%d of 20 requests stored before the cut), 20 requests and 5 approvals in flight; all answered %s after the restore (readyz 200 within %s): requested 20+6 and 5+1 approvals, persisted %d, approved %d, refused %d, doubled %d, audit rows %d (%d state changes, %d votes); %.0f attempts retried for database_unreachable",
		restoredAt.Sub(cutAt).Round(time.Millisecond), storedAtCut, answeredAfter.Round(time.Millisecond), readyAfter.Round(time.Millisecond),
		c.Persisted, c.Approved, refused, c.Doubled, c.Events, c.Changes, c.Votes, retries)
	t.Logf("an approval with --timeout 12s during the outage: %s", strings.TrimSpace(impatientRun.stdout))
	t.Logf("/readyz during the outage: %s", strings.TrimSpace(body))
	t.Logf("a starter's progress during the outage:\n%s", firstLines(progress, 4))
	// 20 visitor cards (one state change each), 5 + 1 approved after a
	// wait (two state changes and the approver's vote each: the impatient
	// approver's decision was written too), each written once.
	w.waitApproved(impatientID, 15*time.Second)
	c = w.counts()
	if c.Persisted != 26 || c.Approved != 26 || c.Doubled != 0 || c.Changes != 32 || c.Votes != 6 || refused != 0 {
		t.Fatalf("after the outage: %+v, refused %d; want 26 approved cards, 32 state changes (20 + 6 x 2) and 6 votes in the audit trail, none doubled or refused", c, refused)
	}
	if retries == 0 {
		t.Errorf("cardflow_activity_retries_total{cause=\"database_unreachable\"} is 0 after the outage")
	}
	down := worker.Log.Count(`"level":"warn"`, "PostgreSQL is unreachable")
	back := worker.Log.Count(`"level":"info"`, "PostgreSQL is reachable again", `"outage"`)
	noisy := worker.Log.Count(`"level":"error"`, "Activity error.")
	t.Logf("worker log: %d line(s) for the outage, %d for its end, %d per-attempt error lines", down, back, noisy)
	if down != 1 || back != 1 {
		t.Errorf("the outage was logged %d time(s) and its end %d time(s); want once each:\n%s", down, back, worker.Log.String())
	}
	if noisy != 0 {
		t.Errorf("%d per-attempt \"Activity error.\" lines at error level during an outage already reported", noisy)
	}
}

// anyPendingStderr returns the stderr of the first command, finished or
// not, that contains want.
func anyPendingStderr(all []*pending, want string) string {
	for _, p := range all {
		if s := p.run.stderr.String(); strings.Contains(s, want) {
			return s
		}
	}
	return ""
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
