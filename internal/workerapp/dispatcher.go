package workerapp

import (
	"context"
	"sync"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/notify"
)

// The worker's metrics count the dispatcher's outcomes.
var _ notify.OutboxRecorder = (*metrics.Metrics)(nil)

// runningDispatcher is the outbox dispatchers of a running worker.
type runningDispatcher struct {
	dispatchers []*notify.Dispatcher
	cancel      context.CancelFunc
	done        sync.WaitGroup
}

// DefaultDispatchers is how many outbox dispatchers a worker runs. Each
// sends one e-mail at a time and spends most of it waiting (the directory,
// the notifications row, the SMTP server); several in one worker send a
// burst (an expiry sweep's reminders, a batch order) several times faster.
// They claim disjoint events (leased claims), as dispatchers of several
// workers always have.
const DefaultDispatchers = 4

// Poke wakes the first dispatcher: events were just queued. Waking them
// all made each claim (a write) for the few events one card write queues,
// four claims where one would do; the others join when a claim comes back
// full (DispatcherOptions.Backlog) or at their poll.
func (d *runningDispatcher) Poke() {
	d.dispatchers[0].Poke()
}

// startDispatcher runs the dispatcher that sends the e-mails card writes
// queue, for as long as the worker runs. It has a context of its own, not
// the worker's: it is stopped after the worker drained its activities, so
// that their last queued e-mails are still claimed promptly by some worker,
// and a stop lets it finish the e-mail in hand. PostgreSQL errors go to
// observe (the worker's trackers), which logs an outage or a missing
// privilege once.
func startDispatcher(svc *notify.Service, opts notify.DispatcherOptions, n int, log *zap.Logger, observe func(error)) *runningDispatcher {
	if n <= 0 {
		n = DefaultDispatchers
	}
	opts.Log = log
	opts.Observe = observe
	ctx, cancel := context.WithCancel(context.Background())
	d := &runningDispatcher{cancel: cancel}
	for i := range n {
		// A full claim wakes the next dispatcher, which, if it claims a
		// full batch too, wakes the one after it.
		next := (i + 1) % n
		if n > 1 {
			opts.Backlog = func() { d.dispatchers[next].Poke() }
		}
		d.dispatchers = append(d.dispatchers, svc.Dispatcher(opts))
	}
	for _, one := range d.dispatchers {
		d.done.Go(func() { one.Run(ctx) })
	}
	return d
}

// stop ends the dispatcher and waits for it (at most its stop grace for
// the e-mail in hand).
func (d *runningDispatcher) stop() {
	d.cancel()
	d.done.Wait()
}
