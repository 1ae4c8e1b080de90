package testkit

import (
	"testing"
	"time"
)

// Eventually calls check until it reports done, and fails the test with
// the state check last described if that does not happen within the given
// time. It is the one way the tests wait for something to happen (never a
// sleep and a hope); check may itself fail the test, for instance when the
// process it waits for has exited.
func Eventually(t testing.TB, within time.Duration, check func() (done bool, state string)) {
	t.Helper()
	if ok, state := Poll(within, check); !ok {
		t.Fatalf("not within %s: %s", within, state)
	}
}

// Poll is Eventually without the failure: it reports whether check said
// done within the given time, and the state check last described, for a
// test that only records what it saw.
func Poll(within time.Duration, check func() (done bool, state string)) (bool, string) {
	deadline := time.Now().Add(within)
	pause := 10 * time.Millisecond
	for {
		done, state := check()
		if done {
			return true, state
		}
		if time.Now().After(deadline) {
			return false, state
		}
		time.Sleep(pause)
		// Quick first looks, then no busier than five times a second.
		pause = min(2*pause, 200*time.Millisecond)
	}
}
