package workerapp

import (
	"context"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/metrics"
	"github.com/cardflow/cardflow/internal/notify"
)

// The worker's metrics count the dispatcher's outcomes.
var _ notify.OutboxRecorder = (*metrics.Metrics)(nil)

// runningDispatcher is the outbox dispatcher of a running worker.
type runningDispatcher struct {
	*notify.Dispatcher
	cancel context.CancelFunc
	done   chan struct{}
}

// startDispatcher runs the dispatcher that sends the e-mails card writes
// queue, for as long as the worker runs. It has a context of its own, not
// the worker's: it is stopped after the worker drained its activities, so
// that their last queued e-mails are still claimed promptly by some worker,
// and a stop lets it finish the e-mail in hand. PostgreSQL errors go to
// observe (the worker's trackers), which logs an outage or a missing
// privilege once.
func startDispatcher(svc *notify.Service, opts notify.DispatcherOptions, log *zap.Logger, observe func(error)) *runningDispatcher {
	opts.Log = log
	opts.Observe = observe
	ctx, cancel := context.WithCancel(context.Background())
	d := &runningDispatcher{Dispatcher: svc.Dispatcher(opts), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.Run(ctx)
	}()
	return d
}

// stop ends the dispatcher and waits for it (at most its stop grace for
// the e-mail in hand).
func (d *runningDispatcher) stop() {
	d.cancel()
	<-d.done
}
