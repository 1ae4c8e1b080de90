package notify

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/store"
)

// The outbox dispatcher sends the e-mails that card writes queued in the
// notification outbox (store.InsertCardQueuing, store.TransitionCard with
// Notify). It exists for performance: a Notify activity per event cost
// Temporal an activity and an extra workflow task per card, about a third
// of its work per card, while a queued row costs one insert inside the card
// write's own statement and a share of a batched claim and delete. Queuing
// in the card's statement also makes the e-mail exist exactly when the
// state change does. Delivery stays at most once per card, event and
// recipient: the dispatcher sends through Service.notify, which claims each
// recipient's row of the notifications table before sending.

// Dispatcher defaults.
const (
	DefaultOutboxBatch       = 32
	DefaultOutboxLease       = time.Minute
	DefaultOutboxPoll        = time.Second
	DefaultOutboxGiveUpAfter = 24 * time.Hour
	DefaultOutboxStopGrace   = 10 * time.Second
	DefaultOutboxGather      = 100 * time.Millisecond
	// outboxFirstBackoff doubles with every attempt up to outboxMaxBackoff:
	// the retry schedule the Notify activity had.
	outboxFirstBackoff = 2 * time.Second
	outboxMaxBackoff   = 5 * time.Minute
)

// DispatcherOptions tune the dispatcher; zero values take the defaults.
type DispatcherOptions struct {
	// Batch is how many due events one claim takes (default 32): one
	// statement claims them, one deletes them when handled.
	Batch int
	// Lease is how long a claimed event is out of other dispatchers' reach
	// (default 1 minute): a worker killed mid-batch delays its events by
	// at most this much. A batch that has used half of it puts the events
	// it has not started back, so an event in hand has the other half.
	Lease time.Duration
	// Poll is how often the dispatcher looks for due events when nothing
	// pokes it (default 1s): events queued by other workers, backoffs that
	// came due, leases that ran out.
	Poll time.Duration
	// GiveUpAfter is how long after it was queued an event that keeps
	// failing temporarily is dropped, with a warning (default 24h, the
	// Notify activity's window).
	GiveUpAfter time.Duration
	// StopGrace is how long a stopping dispatcher may finish the event in
	// hand (default 10s): cutting a send short after the server took the
	// message would leave it in doubt, never to be sent again.
	StopGrace time.Duration
	// Gather is how long the dispatcher waits after a poke before it
	// claims (default 100ms), so that the events queued meanwhile by other
	// card writes go in the same claim: under load a claim takes several
	// events instead of one, for one statement instead of several. An
	// e-mail leaves at most this much later. Negative claims at once.
	Gather time.Duration
	// Log receives what an operator must know, once per change (PostgreSQL
	// or the SMTP server failing, working again) and per dropped event;
	// nil logs nothing.
	Log *zap.Logger
	// Backlog, when set, is told each time a claim came back full (more
	// events are likely due): a worker running several dispatchers pokes
	// the next one, so that a burst (an expiry sweep's reminders, a batch
	// order) is shared while a trickle stays with one dispatcher, whose
	// claims then gather several events each.
	Backlog func()
	// Observe, when set, sees every PostgreSQL error the dispatcher meets:
	// the worker's outage and permission trackers, which then report an
	// outage or a missing privilege (once) and the dispatcher does not
	// repeat it.
	Observe func(error)
}

func (o DispatcherOptions) withDefaults() DispatcherOptions {
	if o.Batch <= 0 {
		o.Batch = DefaultOutboxBatch
	}
	if o.Lease <= 0 {
		o.Lease = DefaultOutboxLease
	}
	if o.Poll <= 0 {
		o.Poll = DefaultOutboxPoll
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = DefaultOutboxGiveUpAfter
	}
	if o.StopGrace <= 0 {
		o.StopGrace = DefaultOutboxStopGrace
	}
	if o.Gather == 0 {
		o.Gather = DefaultOutboxGather
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return o
}

// Dispatcher sends queued notifications; see Run. Several dispatchers (one
// per worker) may share one outbox.
type Dispatcher struct {
	service *Service
	opts    DispatcherOptions
	poke    chan struct{}
	// health logs failures once per change; only Run's goroutine uses it.
	health health
	// finished are the handled events of the last batch, left for the
	// next claim to delete when it follows at once; only Run's goroutine
	// uses them.
	finished []store.OutboxKey
	// claim is the token of the next outbox claim: kept when a claim
	// fails, so that running it again gets back what it may have leased,
	// and new after each claim that answered; only Run's goroutine uses it.
	claim string
}

// Dispatcher returns a dispatcher that sends through s.
func (s *Service) Dispatcher(opts DispatcherOptions) *Dispatcher {
	opts = opts.withDefaults()
	return &Dispatcher{service: s, opts: opts, poke: make(chan struct{}, 1), health: health{log: opts.Log, observe: opts.Observe},
		claim: store.NewOutboxClaim()}
}

// Poke tells the dispatcher that this process queued an event, so that it
// claims now instead of at its next poll. It never blocks, and pokes that
// arrive while the dispatcher is busy fold into one (the next claim takes
// every due event anyway). The worker calls it after a card write queued
// an e-mail.
func (d *Dispatcher) Poke() {
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

// Run dispatches until ctx ends: it claims a batch of due events, sends
// each, and claims again at once while batches come back full; otherwise it
// waits for a poke or the poll interval. When ctx ends it finishes the
// event in hand (for at most StopGrace; an event cut short is put back
// too, its interrupted send left in doubt), puts the batch's other events
// back at once for other workers, and returns. Only a dispatcher that dies
// without stopping leaves its events to the end of their lease.
func (d *Dispatcher) Run(ctx context.Context) {
	// work is the context of the statements and sends: it outlives ctx by
	// StopGrace, so that a stop does not cut a send short.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stopWatch := context.AfterFunc(ctx, func() { time.AfterFunc(d.opts.StopGrace, cancelWork) })
	defer stopWatch()
	poll := time.NewTimer(d.opts.Poll)
	defer poll.Stop()
	defer d.flush(work)
	for ctx.Err() == nil {
		if again := d.dispatch(ctx, work); again {
			continue
		}
		poll.Reset(d.opts.Poll)
		select {
		case <-ctx.Done():
		case <-d.poke:
			d.gather(ctx)
		case <-poll.C:
		}
	}
}

// gather lets the events of the card writes that follow a poke arrive
// before the claim (see DispatcherOptions.Gather).
func (d *Dispatcher) gather(ctx context.Context) {
	if d.opts.Gather <= 0 {
		return
	}
	wait := time.NewTimer(d.opts.Gather)
	defer wait.Stop()
	select {
	case <-ctx.Done():
	case <-wait.C:
	}
}

// backoff is the delay before the next attempt after the attempts so far
// failed temporarily: 2s, 4s, 8s, ... up to 5 minutes.
func backoff(attempts int) time.Duration {
	delay := outboxFirstBackoff
	for i := 1; i < attempts && delay < outboxMaxBackoff; i++ {
		delay *= 2
	}
	return min(delay, outboxMaxBackoff)
}
