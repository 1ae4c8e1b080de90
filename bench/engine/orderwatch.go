package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cardflow/cardflow/internal/store"
)

// OrderWatch is an order as the console and `starter order status` see it:
// its row in PostgreSQL (store.Order, the counts kept on it), read every
// poll interval from the order's start.
type OrderWatch struct {
	// FirstRow is when the order's row first appeared; FirstProgress when
	// its counts first showed an item ended (done, failed or skipped):
	// what an operator sees move first. Tried is when every item had
	// ended.
	FirstRow, FirstProgress, Tried time.Duration
	Order                          store.Order
	Polls                          int
}

// orderPoll is how often WatchOrder reads the order, as a progress line
// would (the starter's is once a second; finer here to time the first
// progress).
const orderPoll = 50 * time.Millisecond

// WatchOrder reads order id from start until every item has ended, and
// says when it first showed up and first moved. It gives up after within.
func WatchOrder(ctx context.Context, e *Env, id string, start time.Time, within time.Duration) (OrderWatch, error) {
	s := &store.Store{DB: e.DB}
	var w OrderWatch
	deadline := time.Now().Add(within)
	lastLine := time.Now()
	for {
		o, err := s.Order(ctx, id)
		w.Polls++
		switch {
		case errors.Is(err, store.ErrNoRows):
		case err != nil:
			return w, err
		default:
			w.Order = o
			if w.FirstRow == 0 {
				w.FirstRow = time.Since(start)
			}
			if w.FirstProgress == 0 && o.Done+o.Failed+o.Skipped > 0 {
				w.FirstProgress = time.Since(start)
			}
			if e.Config.Progress != nil && time.Since(lastLine) >= time.Second {
				lastLine = time.Now()
				fmt.Fprintf(e.Config.Progress, "bench: order %s  %d/%d ended (%d failed, %d skipped) in %.0fs\n",
					id, o.Done+o.Failed+o.Skipped, o.Total, o.Failed, o.Skipped, time.Since(start).Seconds())
			}
			if o.Total > 0 && o.Tried() {
				w.Tried = time.Since(start)
				return w, nil
			}
		}
		if time.Now().After(deadline) {
			return w, fmt.Errorf("order %s: not every item tried within %s: %+v", id, within, w.Order.OrderCounts)
		}
		select {
		case <-ctx.Done():
			return w, ctx.Err()
		case <-time.After(orderPoll):
		}
	}
}
