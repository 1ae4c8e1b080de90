package engine

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// forEach runs fn over cards with c workers, counting finished cards in
// done, and returns the wall time. It stops handing out cards when ctx is
// done.
func forEach(ctx context.Context, c int, cards []Card, done *atomic.Int64, fn func(Card)) time.Duration {
	start := time.Now()
	work := make(chan Card)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for card := range work {
				fn(card)
				done.Add(1)
			}
		}()
	}
	for _, card := range cards {
		if ctx.Err() != nil {
			break
		}
		work <- card
	}
	close(work)
	wg.Wait()
	return time.Since(start)
}
