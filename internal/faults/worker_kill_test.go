package faults

import (
	"testing"
	"time"
)

// The worker killed (SIGKILL) in the middle of a burst and started again:
// every request completes, none is lost or written twice. Tasks the dead
// worker held are timed out by Temporal and run again on the new one; the
// writes are idempotent.
func TestWorkerKilledMidBurst(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	holders := w.cardholders("kill", 20)
	first := w.startWorker("first", w.databaseURL, w.temporal)
	start := time.Now()
	burst := w.burst(w.temporal, "visitor", holders)
	w.waitCards(5, 30*time.Second)
	first.kill()
	killedAt, killedWith := time.Since(start), w.counts().Persisted
	w.startWorker("second", w.databaseURL, w.temporal)
	runs := w.wait(90*time.Second, burst...)
	refused := checkRuns(t, runs)
	logSlow(t, runs, 20*time.Second)
	c := w.counts()
	t.Logf("worker SIGKILLed %s into a burst of 20 (%d cards stored by then); all answered after %s: requested 20, persisted %d, refused %d, doubled %d, audit rows %d",
		killedAt.Round(time.Millisecond), killedWith, time.Since(start).Round(time.Millisecond), c.Persisted, refused, c.Doubled, c.Events)
	if c.Persisted != 20 || c.Approved != 20 || c.Doubled != 0 || c.Events != 20 || refused != 0 {
		t.Fatalf("after the kill: %+v, refused %d; want 20 approved cards, 20 audit rows, none doubled or refused", c, refused)
	}
}

// Two workers on the task queue, one killed mid-burst: the other finishes
// the work alone.
func TestOneOfTwoWorkersKilledMidBurst(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	holders := w.cardholders("pair", 20)
	doomed := w.startWorker("doomed", w.databaseURL, w.temporal)
	w.startWorker("survivor", w.databaseURL, w.temporal)
	start := time.Now()
	burst := w.burst(w.temporal, "visitor", holders)
	w.waitCards(5, 30*time.Second)
	doomed.kill()
	killedAt, killedWith := time.Since(start), w.counts().Persisted
	runs := w.wait(90*time.Second, burst...)
	refused := checkRuns(t, runs)
	logSlow(t, runs, 20*time.Second)
	c := w.counts()
	t.Logf("one of two workers SIGKILLed %s into a burst of 20 (%d cards stored by then); the survivor finished after %s: requested 20, persisted %d, refused %d, doubled %d, audit rows %d",
		killedAt.Round(time.Millisecond), killedWith, time.Since(start).Round(time.Millisecond), c.Persisted, refused, c.Doubled, c.Events)
	if c.Persisted != 20 || c.Approved != 20 || c.Doubled != 0 || c.Events != 20 || refused != 0 {
		t.Fatalf("after the kill: %+v, refused %d; want 20 approved cards, 20 audit rows, none doubled or refused", c, refused)
	}
}
