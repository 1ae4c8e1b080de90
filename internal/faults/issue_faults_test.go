package faults

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The steps of Issue card the faults land in.
const (
	holdActivity = "HoldCertificates"
	// signingCSR is in the station's request for the signing certificate
	// (the second usage of a visitor card): an outage there leaves the
	// authentication certificate issued and the job half-done.
	signingCSR = `"profile":"card-sign"`
	// holdCall is the hold's request to CFSSL's revoke API: the first one
	// of an issue is HoldCertificates' first hold, right after the job.
	holdCall = "/api/v1/cfssl/revoke"
	// waitingForSigning is what the station heartbeats while it waits for
	// the CA to certify the signing key.
	waitingForSigning = "waiting for the CA to certify signing"
)

// The worker killed (SIGKILL) twice during one Issue card: once while the
// job is at the station (the station waits for its CA, cut at the signing
// certificate) and once right after it, while HoldCertificates waits out a
// CA cut at its first hold. A third worker finishes: the card is issued
// with one number, one generation, one `issue` audit row, one set of
// certificates (in cardflow and at the CA), one print and one PIN letter.
// It runs alone, before the package's parallel tests: the takeover it
// times (the station's job finishing for a second worker, within 40 s) ran
// 8 s alone and over 40 s beside the other fault tests' workers.
func TestIssueWorkerKilledMidIssue(t *testing.T) {
	w := newIssueWorld(t)
	stationCA := newCAProxy(t, "station-ca", w.ca.Config)
	workerCA := newCAProxy(t, "worker-ca", w.ca.Config)
	first := w.startWorker("first", workerCA.Config)
	printer := w.startStation("printer", stationCA.authority())
	cardID := w.approvedCard("killed")

	stationStalls := stationCA.cutOn(signingCSR)
	start := time.Now()
	issue := w.issue(cardID, printer.ID, false)
	waitCut(t, stationStalls, "the signing certificate", 30*time.Second)
	runID := w.waitHeartbeat(cardID, waitingForSigning, 20*time.Second)
	if got := w.card(cardID).State; got != cards.StateApproved {
		t.Fatalf("card %s while its job waits at the station, want approved", got)
	}
	first.kill()
	firstKill := time.Since(start)

	second := w.startWorker("second", workerCA.Config)
	holdFails := workerCA.cutOn(holdCall)
	stationCA.restore()
	waitCut(t, holdFails, "the first hold", 40*time.Second)
	firstHold := time.Since(start)
	// Killed between two attempts: nothing of the hold is in flight, the
	// next attempt is the third worker's.
	var hold *workflowpb.PendingActivityInfo
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		_, hold = w.pendingActivity(cardID, holdActivity)
		return betweenAttempts(hold, 2), fmt.Sprintf("%s pending: %v", holdActivity, hold)
	})
	if got := w.card(cardID).State; got != cards.StateApproved {
		t.Fatalf("card %s while its certificates cannot be held, want approved", got)
	}
	second.kill()
	secondKill := time.Since(start)

	w.startWorker("third", workerCA.Config)
	workerCA.restore()
	checkRuns(t, w.wait(60*time.Second, issue))
	took := time.Since(start)

	c := w.card(cardID)
	if c.State != cards.StateIssued || !cardnumber.Valid(c.CardNumber) || c.ProductionGeneration != 1 {
		t.Fatalf("card %s number %q generation %d; want issued, a valid number, generation 1\n%s", c.State, c.CardNumber, c.ProductionGeneration, w.trail(cardID))
	}
	gen1, gen2 := serials(cardID, 1, ca.Authentication, ca.Signing), serials(cardID, 2, ca.Authentication, ca.Signing)
	acts := w.activities(cardID, runID)
	done, files := printed(printer.Output, cardID)
	letters, deliveries := w.pinLetterCount(cardID)
	f := figures{
		"numbers taken":              w.numbersTaken("C"),
		"issue audit rows":           w.events(cardID, "issue"),
		"certificates recorded":      w.count(`SELECT count(*) FROM card_certificates WHERE card_id = $1`, cardID),
		"certificates recorded held": w.count(`SELECT count(*) FROM card_certificates WHERE card_id = $1 AND generation = 1 AND status = 'hold'`, cardID),
		"CA certificates gen 1":      w.caRows(gen1...),
		"CA certificates gen 2":      w.caRows(gen2...),
		"ProduceCard scheduled":      acts[station.ProduceCardActivity].Scheduled,
		"ProduceCard attempts":       acts[station.ProduceCardActivity].Attempts,
		"cards printed":              printer.Log.Count("Card produced"),
		"reprints refused":           printer.Log.Count("Job already done"),
		"printed files":              len(files),
		"PIN letter files":           letters,
		"PIN deliveries":             deliveries,
		"DeliverPIN scheduled":       acts["DeliverPIN"].Scheduled,
		"BeginIssue scheduled":       acts["BeginIssue"].Scheduled,
		"CompleteIssue scheduled":    acts["CompleteIssue"].Scheduled,
	}
	t.Logf("worker SIGKILLed %s into Issue card (job at the station, waiting for its CA) and again %s in (HoldCertificates between attempts %d and %d, %s after its first hold was cut); a third worker issued card %s after %s; HoldCertificates took %d attempts",
		firstKill.Round(time.Millisecond), secondKill.Round(time.Millisecond), hold.GetAttempt()-1, hold.GetAttempt(),
		(secondKill - firstHold).Round(time.Millisecond), c.CardNumber, took.Round(time.Millisecond), acts[holdActivity].Attempts)
	t.Logf("after the kills: %s", f)
	f.want(t, map[string]int{
		"numbers taken": 1, "issue audit rows": 1, "certificates recorded": 2, "certificates recorded held": 2,
		"CA certificates gen 1": 2, "CA certificates gen 2": 0, "ProduceCard scheduled": 1, "ProduceCard attempts": 1,
		"cards printed": 1, "reprints refused": 0, "printed files": 5, "PIN letter files": 1, "PIN deliveries": 1,
		"DeliverPIN scheduled": 1, "BeginIssue scheduled": 1, "CompleteIssue scheduled": 1,
	})
	if !done {
		t.Errorf("the station's folder has no %s", station.DoneName)
	}
	for _, s := range gen1 {
		if got := w.ocsp(s); got != string(ca.StatusHold) {
			t.Errorf("OCSP says %s for certificate %s of the issued card, want hold", got, s)
		}
	}
}

// The station binary killed (SIGKILL) part-way through its job: it has
// the authentication certificate and waits for the CA (cut at the signing
// certificate), heartbeating. Ten seconds of silence fail the card, naming
// the station; the half-issued certificate is revoked, nothing was
// printed. Repeat production at a fresh station issues the card with the
// same number, in generation 2.
func TestIssueStationKilledMidJob(t *testing.T) {
	t.Parallel()
	w := newIssueWorld(t)
	w.startWorker("worker", w.ca.Config)
	stationCA := newCAProxy(t, "station-ca", w.ca.Config)
	doomed := w.startStationProcess("doomed", stationCA.Config)
	cardID := w.approvedCard("crash")
	gen1, gen2 := serials(cardID, 1, ca.Authentication, ca.Signing), serials(cardID, 2, ca.Authentication, ca.Signing)

	stalls := stationCA.cutOn(signingCSR)
	start := time.Now()
	issue := w.issue(cardID, doomed.ID, false)
	waitCut(t, stalls, "the signing certificate", 30*time.Second)
	firstRun := w.waitHeartbeat(cardID, waitingForSigning, 20*time.Second)
	if auth, sign := w.ocsp(gen1[0]), w.ocsp(gen1[1]); auth != string(ca.StatusGood) || sign != "unknown" {
		t.Fatalf("before the kill, OCSP says authentication %s, signing %s; want a half-issued job (good, unknown)", auth, sign)
	}
	doomed.kill()
	killedAt := time.Now()

	checkRuns(t, w.wait(60*time.Second, issue))
	failedAfter := time.Since(killedAt)
	failed := w.card(cardID)
	trail := w.trail(cardID)
	if failed.State != cards.StateFailed || failed.ProductionGeneration != 1 || !cardnumber.Valid(failed.CardNumber) {
		t.Fatalf("after the kill: card %s generation %d number %q; want failed, generation 1, a number\n%s", failed.State, failed.ProductionGeneration, failed.CardNumber, trail)
	}
	if want := "print station " + doomed.ID + " stopped answering part-way through the job"; !strings.Contains(trail, want) {
		t.Errorf("audit trail lacks %q:\n%s", want, trail)
	}
	revoked := []string{w.ocsp(gen1[0]), w.ocsp(gen1[1])}
	if revoked[0] != string(ca.StatusRevoked) || revoked[1] != "unknown" {
		t.Errorf("after the failure OCSP says authentication %s, signing %s; want revoked, unknown", revoked[0], revoked[1])
	}
	if done, files := printed(doomed.Output, cardID); done || len(files) != 0 {
		t.Errorf("the killed station printed %v (done %v); it died before printing", files, done)
	}
	firstActs := w.activities(cardID, firstRun)

	fresh := w.startStation("fresh", w.ca.Authority)
	repeatStart := time.Now()
	checkRuns(t, w.wait(60*time.Second, w.issue(cardID, fresh.ID, true)))
	repeatTook := time.Since(repeatStart)
	c := w.card(cardID)
	if c.State != cards.StateIssued || c.CardNumber != failed.CardNumber || c.ProductionGeneration != 2 {
		t.Fatalf("after the repeat: card %s number %q generation %d; want issued, %s, generation 2\n%s", c.State, c.CardNumber, c.ProductionGeneration, failed.CardNumber, w.trail(cardID))
	}
	freshDone, _ := printed(fresh.Output, cardID)
	doomedDone, doomedFiles := printed(doomed.Output, cardID)
	f := figures{
		"numbers taken":               w.numbersTaken("C"),
		"fail audit rows":             w.events(cardID, "fail"),
		"issue audit rows":            w.events(cardID, "issue"),
		"first run ProduceCard":       firstActs[station.ProduceCardActivity].Scheduled,
		"first run ProduceCard tries": firstActs[station.ProduceCardActivity].Attempts,
		"CA certificates gen 1":       w.caRows(gen1...),
		"CA certificates gen 2":       w.caRows(gen2...),
		"gen 2 recorded held":         w.count(`SELECT count(*) FROM card_certificates WHERE card_id = $1 AND generation = 2 AND status = 'hold'`, cardID),
		"gen 1 recorded":              w.count(`SELECT count(*) FROM card_certificates WHERE card_id = $1 AND generation = 1`, cardID),
		"fresh station prints":        fresh.Log.Count("Card produced"),
		"killed station files":        len(doomedFiles),
	}
	t.Logf("station SIGKILLed %s into its job (authentication certified, waiting for the CA to certify signing); the card was failed %s after the kill (heartbeat timeout 10 s) with %q; OCSP after the failure: authentication %s, signing %s; repeat at a fresh station issued card %s (generation %d) in %s",
		killedAt.Sub(start).Round(time.Millisecond), failedAfter.Round(time.Millisecond), lastLine(trail, "fail"), revoked[0], revoked[1],
		c.CardNumber, c.ProductionGeneration, repeatTook.Round(time.Millisecond))
	t.Logf("after the kill and the repeat: %s", f)
	f.want(t, map[string]int{
		"numbers taken": 1, "fail audit rows": 1, "issue audit rows": 1, "first run ProduceCard": 1, "first run ProduceCard tries": 1,
		"CA certificates gen 1": 1, "CA certificates gen 2": 2, "gen 2 recorded held": 2, "gen 1 recorded": 0,
		"fresh station prints": 1, "killed station files": 0,
	})
	if !freshDone || doomedDone {
		t.Errorf("done.json: fresh station %v, killed station %v; want printed once, at the fresh station", freshDone, doomedDone)
	}
	if got := w.ocsp(gen1[0]); got != string(ca.StatusRevoked) {
		t.Errorf("the half-issued certificate is %s after the repeat, want revoked", got)
	}
	for _, s := range gen2 {
		if got := w.ocsp(s); got != string(ca.StatusHold) {
			t.Errorf("OCSP says %s for the repeat's certificate %s, want hold", got, s)
		}
	}
}

// caOutage is how long the CA stays cut while the station waits for it.
const caOutage = 5 * time.Second

// The CA killed twice during one Issue card, for the station and the
// worker alike (both reach it through one proxy): once as the station asks
// for the signing certificate (the job waits, heartbeating), and again at
// HoldCertificates' first hold (the lane retries it). The card stays
// approved while the CA is down, and is issued once the CA is back, with
// its certificates on hold and none issued twice.
func TestIssueCAKilledMidIssue(t *testing.T) {
	t.Parallel()
	w := newIssueWorld(t)
	caProxy := newCAProxy(t, "ca", w.ca.Config)
	w.startWorker("worker", caProxy.Config)
	printer := w.startStation("printer", caProxy.authority())
	cardID := w.approvedCard("outage")
	gen1, gen2 := serials(cardID, 1, ca.Authentication, ca.Signing), serials(cardID, 2, ca.Authentication, ca.Signing)

	jobOutage := caProxy.cutOn(signingCSR)
	start := time.Now()
	issue := w.issue(cardID, printer.ID, false)
	waitCut(t, jobOutage, "the signing certificate", 30*time.Second)
	firstCut := time.Now()
	runID := w.waitHeartbeat(cardID, waitingForSigning, 20*time.Second)
	_, job := w.pendingActivity(cardID, station.ProduceCardActivity)
	w.stayApproved(cardID, firstCut.Add(caOutage))

	holdOutage := caProxy.cutOn(holdCall)
	caProxy.restore()
	firstOutage := time.Since(firstCut)
	waitCut(t, holdOutage, "the first hold", 30*time.Second)
	secondCut := time.Now()
	var hold *workflowpb.PendingActivityInfo
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		if got := w.card(cardID).State; got != cards.StateApproved {
			t.Fatalf("card %s while the CA is down, want approved", got)
		}
		_, hold = w.pendingActivity(cardID, holdActivity)
		return hold.GetAttempt() >= 3 && hold.GetLastFailure() != nil, fmt.Sprintf("%s pending: %v", holdActivity, hold)
	})
	caProxy.restore()
	secondOutage := time.Since(secondCut)
	restoredAt := time.Now()
	checkRuns(t, w.wait(60*time.Second, issue))
	issuedAfter := time.Since(restoredAt)

	c := w.card(cardID)
	if c.State != cards.StateIssued || c.ProductionGeneration != 1 {
		t.Fatalf("card %s generation %d once the CA is back; want issued, generation 1\n%s", c.State, c.ProductionGeneration, w.trail(cardID))
	}
	acts := w.activities(cardID, runID)
	f := figures{
		"numbers taken":              w.numbersTaken("C"),
		"issue audit rows":           w.events(cardID, "issue"),
		"CA certificates gen 1":      w.caRows(gen1...),
		"CA certificates gen 2":      w.caRows(gen2...),
		"certificates recorded held": w.count(`SELECT count(*) FROM card_certificates WHERE card_id = $1 AND generation = 1 AND status = 'hold'`, cardID),
		"ProduceCard scheduled":      acts[station.ProduceCardActivity].Scheduled,
		"ProduceCard attempts":       acts[station.ProduceCardActivity].Attempts,
		"HoldCertificates scheduled": acts[holdActivity].Scheduled,
		"cards printed":              printer.Log.Count("Card produced"),
	}
	t.Logf("CA cut %s into Issue card, at the station's signing certificate, for %s (the job heartbeated %q); cut again at the first hold for %s (lane: %s attempt %d, last failure %q); issued %s after the CA came back, %s in all; HoldCertificates took %d attempts",
		firstCut.Sub(start).Round(time.Millisecond), firstOutage.Round(time.Millisecond), heartbeat(job),
		secondOutage.Round(time.Millisecond), holdActivity, hold.GetAttempt(), lastFailure(hold),
		issuedAfter.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), acts[holdActivity].Attempts)
	t.Logf("after the outages: %s", f)
	f.want(t, map[string]int{
		"numbers taken": 1, "issue audit rows": 1, "CA certificates gen 1": 2, "CA certificates gen 2": 0,
		"certificates recorded held": 2, "ProduceCard scheduled": 1, "ProduceCard attempts": 1,
		"HoldCertificates scheduled": 1, "cards printed": 1,
	})
	if acts[holdActivity].Attempts < 3 {
		t.Errorf("HoldCertificates took %d attempts; the outage should have cost it two", acts[holdActivity].Attempts)
	}
	for _, s := range gen1 {
		if got := w.ocsp(s); got != string(ca.StatusHold) {
			t.Errorf("OCSP says %s for certificate %s of the issued card, want hold", got, s)
		}
	}
}

// betweenAttempts reports whether a pending activity failed at least
// once and waits for its attempt (at least min) with time to spare: a
// worker killed now holds none of it.
func betweenAttempts(p *workflowpb.PendingActivityInfo, min int32) bool {
	if p == nil || p.GetAttempt() < min || p.GetState() != enumspb.PENDING_ACTIVITY_STATE_SCHEDULED {
		return false
	}
	next := p.GetNextAttemptScheduleTime()
	if next == nil {
		next = p.GetScheduledTime()
	}
	return next != nil && time.Until(next.AsTime()) > 500*time.Millisecond
}

// stayApproved checks, until the outage's end, that the card is approved:
// the length of the fault, each poll a check that nothing got issued.
func (w *issueWorld) stayApproved(cardID string, until time.Time) {
	w.t.Helper()
	testkit.Poll(time.Until(until), func() (bool, string) {
		if got := w.card(cardID).State; got != cards.StateApproved {
			w.t.Fatalf("card %s while the CA is down, want approved", got)
		}
		return false, ""
	})
}

// figures are the counts a scenario reports and checks.
type figures map[string]int

func (f figures) String() string {
	parts := make([]string, 0, len(f))
	for _, k := range sortedKeys(f) {
		parts = append(parts, fmt.Sprintf("%s %d", k, f[k]))
	}
	return strings.Join(parts, ", ")
}

// want fails the test for every figure that is not as wanted.
func (f figures) want(t *testing.T, want map[string]int) {
	t.Helper()
	for _, k := range sortedKeys(want) {
		if f[k] != want[k] {
			t.Errorf("%s: %d, want %d", k, f[k], want[k])
		}
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lastLine is the trail's last line that starts with event.
func lastLine(trail, event string) string {
	var last string
	for _, line := range strings.Split(trail, "\n") {
		if strings.HasPrefix(line, event+" ") {
			last = line
		}
	}
	return last
}
