package order

import (
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/store"
)

// runRoundV2 is version 2's run loop: the window never waits on the
// order's own bookkeeping. A progress write (RecordOrderProgress) runs in a
// coroutine of its own while the loop keeps starting items as slots free
// up; at most one is in flight, so batches are written in order and the
// counts kept are those of the latest write. A write due while one runs
// waits for it and then takes everything gathered meanwhile (a batch may
// then hold more than FlushEvery items: never more than one run's). The
// next page of items is fetched, also in a coroutine, once the queue holds
// fewer items than the window, so that freed slots find items waiting.
// Before it returns (to continue as new or end the round) the window is
// empty, no fetch or write is in flight and the last progress is written.
func (o *order) runRoundV2(ctx workflow.Context) (more bool, err error) {
	for {
		if ctx.Err() != nil {
			return false, nil
		}
		if o.failure != nil {
			return false, o.failure
		}
		if !o.flushing && (o.flushDue || o.unflushed() >= o.flushEvery) {
			o.startFlush(ctx)
		}
		full := o.shareStarted(ctx)
		for o.running < o.window && !full && len(o.queue) > 0 {
			it := o.queue[0]
			o.queue = o.queue[1:]
			o.start(ctx, it)
			full = o.shareStarted(ctx)
		}
		if !full && !o.exhausted && !o.fetching && len(o.queue) < o.window {
			o.startFetch(ctx)
		}
		drained := o.exhausted && len(o.queue) == 0
		if o.running == 0 && !o.fetching && (drained || full) {
			if err := o.flushAll(ctx); err != nil {
				return false, err
			}
			return !drained, nil
		}
		o.armFlushTimer(ctx)
		before, fetching := o.running, o.fetching
		if err := workflow.Await(ctx, func() bool {
			return o.running < before || (fetching && !o.fetching) || o.failure != nil ||
				(!o.flushing && (o.flushDue || o.unflushed() >= o.flushEvery))
		}); err != nil {
			return false, nil
		}
	}
}

// startFlush writes the progress gathered so far in a coroutine (version
// 2); flushing is set until the write is done. The write runs on a
// disconnected context: cancelling the order never cuts it short (its
// batch would be lost).
func (o *order) startFlush(ctx workflow.Context) {
	o.flushDue = false
	if o.unflushed() == 0 {
		return
	}
	batch := o.takeBatch(ctx)
	o.flushing = true
	fctx, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(fctx, func(fctx workflow.Context) {
		defer func() { o.flushing = false }()
		o.record(fctx, batch)
	})
}

// record runs one progress write and keeps its counts, or its error for
// the run loop.
func (o *order) record(ctx workflow.Context, batch activities.RecordOrderProgressInput) {
	var counts store.OrderCounts
	if err := workflow.ExecuteActivity(steps(ctx, "Record progress"), a.RecordOrderProgress, batch).Get(ctx, &counts); err != nil {
		o.failure = err
		return
	}
	o.counts = counts
}

// flushAll waits for the write in flight, then writes what is left
// (version 2): afterwards every item's start and end is in PostgreSQL.
func (o *order) flushAll(ctx workflow.Context) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	for {
		_ = workflow.Await(dctx, func() bool { return !o.flushing })
		if o.failure != nil {
			return o.failure
		}
		if o.unflushed() == 0 {
			o.flushDue = false
			return nil
		}
		o.startFlush(dctx)
	}
}

// startFetch fetches the next page of pending items in a coroutine
// (version 2) and appends it to the queue; fetching is set until it is
// back. One fetch at a time, each after the last item fetched.
func (o *order) startFetch(ctx workflow.Context) {
	o.fetching = true
	after, limit := o.lastFetched, max(o.window, 100)
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { o.fetching = false }()
		var page []activities.OrderItemRef
		if err := workflow.ExecuteActivity(steps(ctx, "Next items"), a.PendingOrderItems, o.in.OrderID, after, limit).Get(ctx, &page); err != nil {
			if ctx.Err() == nil {
				o.failure = err
			}
			return
		}
		o.queue = append(o.queue, page...)
		if len(page) > 0 {
			o.lastFetched = page[len(page)-1].Seq
		}
		o.exhausted = len(page) < limit
	})
}
