package faults

import (
	"context"
	"strings"
	"testing"
	"time"
)

// serverDown is how long the Temporal server stays stopped.
const serverDown = 5 * time.Second

// The Temporal server restarted (stopped, then started on the same state
// file and ports) while requests are being sent: every request completes,
// once. Starters that find it unreachable say so and keep trying; the
// worker reconnects by itself.
func TestTemporalRestartedWhileRequestsAreSent(t *testing.T) {
	t.Parallel()
	server := newDevServer(t)
	server.start(t, time.Minute)
	w := newWorld(t)
	w.startWorker("worker", w.databaseURL, server.Address())
	holders := w.cardholders("restart", 20)

	// Requests go out one every 150 ms; the server is stopped after the
	// fifth and started again serverDown later, while they keep going out.
	var sent []*pending
	var stoppedAt, startedAt time.Time
	for i, u := range holders {
		p, _ := w.request(server.Address(), u, "visitor")
		sent = append(sent, p)
		if i == 4 {
			server.stop(context.Background())
			stoppedAt = time.Now()
		}
		if !stoppedAt.IsZero() && startedAt.IsZero() && time.Since(stoppedAt) >= serverDown {
			server.start(t, time.Minute)
			startedAt = time.Now()
		}
		time.Sleep(150 * time.Millisecond)
	}
	if startedAt.IsZero() {
		time.Sleep(time.Until(stoppedAt.Add(serverDown))) // the fault's length
		server.start(t, time.Minute)
		startedAt = time.Now()
	}
	runs := w.wait(90*time.Second, sent...)
	answeredAfter := time.Since(startedAt)
	refused := checkRuns(t, runs)
	logSlow(t, runs, 20*time.Second)
	c := w.counts()
	progress := anyStderr(runs, "is unreachable")
	t.Logf("Temporal stopped for %s (until healthy again) while 20 requests went out one every 150 ms; all answered %s after it was back: requested 20, persisted %d, refused %d, doubled %d, audit rows %d",
		startedAt.Sub(stoppedAt).Round(time.Millisecond), answeredAfter.Round(time.Millisecond), c.Persisted, refused, c.Doubled, c.Events)
	t.Logf("a starter's progress during the restart:\n%s", firstLines(progress, 3))
	if c.Persisted != 20 || c.Approved != 20 || c.Doubled != 0 || c.Events != 20 || refused != 0 {
		t.Fatalf("after the restart: %+v, refused %d; want 20 approved cards, 20 audit rows, none doubled or refused", c, refused)
	}
	if !strings.Contains(progress, "waiting: Temporal at "+server.Address()+" is unreachable") {
		t.Errorf("no starter said that Temporal at %s was unreachable", server.Address())
	}
}
