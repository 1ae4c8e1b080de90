package outage

import "time"

// interval is a probe's period: every, or a second when it is not positive.
func interval(every time.Duration) time.Duration {
	if every <= 0 {
		return time.Second
	}
	return every
}

// probeEvery runs check every period until it reports the watched thing
// healthy again (false: stop probing) or stop is closed, then closes done.
// The outage tracker and the permission tracker both watch something broken
// this way, so that an idle worker notices the repair too.
func probeEvery(stop <-chan struct{}, done chan<- struct{}, period time.Duration, check func() (again bool)) {
	defer close(done)
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		if !check() {
			return
		}
	}
}
