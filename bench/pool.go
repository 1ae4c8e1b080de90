package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// forEach runs fn over jobs with c workers, counting finished jobs in done,
// and returns the wall time. It stops handing out jobs when ctx is done.
func forEach(ctx context.Context, c int, jobs []job, done *atomic.Int64, fn func(job)) time.Duration {
	start := time.Now()
	work := make(chan job)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				fn(j)
				done.Add(1)
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		work <- j
	}
	close(work)
	wg.Wait()
	return time.Since(start)
}
