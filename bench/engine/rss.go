package engine

import (
	"sync"
	"time"
)

// RSSPeak samples the bench process's resident memory (the workers run in
// it) every interval until stopped, without forcing a collection, so that
// the peak is what the process really held; stop returns the peak in MiB.
func RSSPeak(interval time.Duration) (stop func() float64) {
	var mu sync.Mutex
	peak := rssMiB()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				v := rssMiB()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()
	return func() float64 {
		close(done)
		wg.Wait()
		return max(peak, rssMiB())
	}
}
