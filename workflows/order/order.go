// Package order is the Order workflow: Request multiple cards and Issue
// multiple cards (LIFECYCLE.md "Batch orders"). The order and its items are
// rows in PostgreSQL; the workflow (order-<order id>) writes them once, then
// runs a sliding window of items: one Request card per user (an activity
// that returns once the card is persisted), or one IssueCard per card on the
// card's own lane (a child workflow card-<card id>, abandoned if the order
// closes). Progress is written in batches, one at a time, while the
// window goes on (version 2); a run continues as new once it has started
// ContinueAfter items and its window is empty. An issue order
// with failed items then waits for the operator: repeat or complete.
package order

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/store"
)

// a names activities through their registered methods; never called.
var a *activities.Activities

// versionChangeID is Order's one change point, read once, first; the
// order keeps the version it read for the whole run.
const versionChangeID = "order"

// Order's versions. Version 1 (blockingFlushVersion) stops its run loop on
// each progress write and fetches the next page of items once the queue is
// empty; its executions keep that exact command sequence until they end.
// Version 2 (currentVersion) writes progress without stopping the window
// (one RecordOrderProgress in flight at a time, in a coroutine) and fetches
// the next page while the queue still holds items (window_v2.go).
const (
	blockingFlushVersion workflow.Version = 1
	currentVersion       workflow.Version = 2
)

// order is the state of one run.
type order struct {
	in       Input
	version  workflow.Version
	operator string
	station  string
	round    int
	run      int
	state    string
	counts   store.OrderCounts

	window, continueAfter, flushEvery int

	// The window: queue holds fetched items not yet started, lastFetched
	// the seq of the last fetched, cursor the seq of the last started.
	queue       []activities.OrderItemRef
	lastFetched int
	cursor      int
	exhausted   bool
	running     int
	started     int

	// progress not yet written, and whether a flush timer runs or fired.
	progress     activities.RecordOrderProgressInput
	timerPending bool
	flushDue     bool

	// Version 2: whether a progress write or a page fetch runs in its
	// coroutine, and the error that ended one (the run loop returns it).
	flushing bool
	fetching bool
	failure  error

	// ending is set while version 2 writes the round's end (its last
	// progress, then waiting or completed).
	ending bool

	// busy is set while an update handler writes (repeat, complete).
	busy bool
}

// Order runs one batch order.
func Order(ctx workflow.Context, in Input) (Document, error) {
	version := workflow.GetVersion(ctx, versionChangeID, blockingFlushVersion, currentVersion)
	o := newOrder(in)
	o.version = version
	if err := o.setup(ctx); err != nil {
		return o.document(), err
	}
	if in.Resume == nil {
		if err := o.create(ctx); err != nil {
			return o.document(), err
		}
	}
	return o.runOrder(ctx)
}

func newOrder(in Input) *order {
	o := &order{in: in, operator: in.Operator, station: in.Station, state: store.OrderRunning, run: 1,
		window: in.Window, continueAfter: in.ContinueAfter, flushEvery: in.FlushEvery}
	if o.window <= 0 {
		o.window = DefaultRequestWindow
		if in.Kind == KindIssue {
			o.window = DefaultIssueWindow
		}
	}
	o.window = min(o.window, MaxWindow)
	if o.continueAfter <= 0 {
		o.continueAfter = DefaultContinueAfter
	}
	if o.flushEvery <= 0 {
		o.flushEvery = DefaultFlushEvery
	}
	if r := in.Resume; r != nil {
		o.round, o.cursor, o.lastFetched, o.run = r.Round, r.AfterSeq, r.AfterSeq, r.Run
	}
	o.progress = activities.RecordOrderProgressInput{OrderID: in.OrderID, Round: o.round}
	return o
}

// create writes the order and its items (the first run's first step).
func (o *order) create(ctx workflow.Context) error {
	var created activities.CreatedOrder
	err := workflow.ExecuteActivity(steps(ctx, "Write the order"), a.CreateOrder, activities.CreateOrderInput{
		OrderID: o.in.OrderID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID, Kind: o.in.Kind, Operator: o.in.Operator,
		CardType: o.in.CardType, Station: o.in.Station, Users: o.in.Users, Cards: o.in.Cards, At: workflow.Now(ctx),
	}).Get(ctx, &created)
	if err != nil {
		return unwrapActivity(err)
	}
	if created.CardType != "" {
		o.in.CardType = created.CardType
	}
	o.counts = created.Counts
	return nil
}

// runOrder runs rounds until the order completes, waits or continues as
// new.
func (o *order) runOrder(ctx workflow.Context) (Document, error) {
	for {
		if o.state == store.OrderRunning {
			run := o.runRound
			if o.version >= currentVersion {
				run = o.runRoundV2
			}
			more, err := run(ctx)
			switch {
			case ctx.Err() != nil:
				return o.cancel(ctx)
			case err != nil:
				return o.document(), err
			case more:
				return o.continueAsNew(ctx)
			}
			if err := o.endRound(ctx); err != nil {
				if o.version >= currentVersion && ctx.Err() != nil {
					return o.cancel(ctx)
				}
				return o.document(), err
			}
			if o.state == store.OrderCompleted {
				return o.finish(ctx)
			}
		}
		// Waiting for the operator: Repeat production makes the order
		// running again, Complete order completes it (both in handlers).
		if err := workflow.Await(ctx, func() bool { return o.state != store.OrderWaiting && !o.busy }); err != nil {
			return o.cancel(ctx)
		}
		if o.state == store.OrderCompleted {
			return o.finish(ctx)
		}
	}
}

// endRound writes the last progress and decides: an issue order with
// failed items waits, any other order completes.
func (o *order) endRound(ctx workflow.Context) error {
	// Version 2: while the round's end is written, an operator's repeat or
	// complete (sent as soon as the row shows every item ended) waits for
	// it instead of being refused as still running.
	o.ending = o.version >= currentVersion
	defer func() { o.ending = false }()
	if err := o.flush(ctx, true); err != nil {
		return err
	}
	next := store.OrderCompleted
	if o.in.Kind == KindIssue && o.counts.Failed > 0 {
		next = store.OrderWaiting
	}
	return o.setState(ctx, next)
}

func (o *order) setState(ctx workflow.Context, state string) error {
	var counts store.OrderCounts
	if err := workflow.ExecuteActivity(steps(ctx, "Order "+state), a.SetOrderState, activities.SetOrderStateInput{
		OrderID: o.in.OrderID, State: state, At: workflow.Now(ctx),
	}).Get(ctx, &counts); err != nil {
		return unwrapActivity(err)
	}
	o.state, o.counts = state, counts
	return nil
}

// continueAsNew starts the next run where this one stopped: the window is
// empty, the progress written, and no update handler is still running.
func (o *order) continueAsNew(ctx workflow.Context) (Document, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return o.cancel(ctx)
	}
	next := o.in
	next.Users, next.Cards = nil, nil
	next.Operator, next.Station = o.operator, o.station
	next.Resume = &Resume{Round: o.round, AfterSeq: o.cursor, Run: o.run + 1}
	return o.document(), workflow.NewContinueAsNewError(ctx, WorkflowType, next)
}

// cancel ends an order cancelled from Temporal: the items running are
// waited for (productions are never cut short), and so is a progress write
// in flight (version 2); the last progress is written, the rest skipped,
// the order cancelled.
func (o *order) cancel(ctx workflow.Context) (Document, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	// (flushing is only ever set by version 2: version 1's wait is the same.)
	_ = workflow.Await(dctx, func() bool { return o.running == 0 && !o.flushing })
	if err := o.flush(dctx, false); err != nil {
		return o.document(), err
	}
	var counts store.OrderCounts
	if err := workflow.ExecuteActivity(steps(dctx, "Cancel the order"), a.CancelOrder, activities.CancelOrderInput{
		OrderID: o.in.OrderID, Reason: "the order was cancelled before this item started", At: workflow.Now(dctx),
	}).Get(dctx, &counts); err != nil {
		return o.document(), err
	}
	o.state, o.counts = store.OrderCancelled, counts
	return o.finish(dctx)
}

// finish lets update handlers answer, then returns the document.
func (o *order) finish(ctx workflow.Context) (Document, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, func() bool { return workflow.AllHandlersFinished(dctx) })
	return o.document(), nil
}

func (o *order) document() Document {
	return Document{ID: o.in.OrderID, Kind: o.in.Kind, State: o.state, Round: o.round, Counts: o.counts,
		Run: o.run, Window: o.running, Started: o.started}
}

// steps are the order's own database steps: retried until they work
// (PostgreSQL down is waited for); refusals end them at once.
func steps(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
		Summary: summary,
	})
}

// unwrapActivity returns the application error under an activity error,
// so that the workflow (or the update) fails with the refusal's own type.
func unwrapActivity(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app
	}
	return err
}

func message(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}
