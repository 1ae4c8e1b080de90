package order

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

// runRound runs the round's pending items through the window (version 1:
// each progress write stops the loop until it is done, and a page is
// fetched once the queue is empty; runRoundV2 is version 2's). It returns
// more = true when this run has started its share (ContinueAfter, or
// Temporal suggests continuing as new) with items perhaps left: the window
// is then empty and the progress written.
func (o *order) runRound(ctx workflow.Context) (more bool, err error) {
	for {
		if ctx.Err() != nil {
			return false, nil
		}
		if o.flushDue || o.unflushed() >= o.flushEvery {
			if err := o.flush(ctx, false); err != nil {
				return false, err
			}
		}
		full := o.shareStarted(ctx)
		for o.running < o.window && !full {
			it, ok, err := o.next(ctx)
			if err != nil || !ok {
				if ctx.Err() != nil {
					return false, nil
				}
				if err != nil {
					return false, err
				}
				break
			}
			o.start(ctx, it)
			full = o.shareStarted(ctx)
		}
		drained := o.exhausted && len(o.queue) == 0
		if o.running == 0 && (drained || full) {
			if err := o.flush(ctx, false); err != nil {
				return false, err
			}
			return !drained, nil
		}
		o.armFlushTimer(ctx)
		before := o.running
		if err := workflow.Await(ctx, func() bool {
			return o.running < before || o.flushDue || o.unflushed() >= o.flushEvery
		}); err != nil {
			return false, nil
		}
	}
}

// shareStarted reports whether this run has started as many items as it
// should before continuing as new.
func (o *order) shareStarted(ctx workflow.Context) bool {
	return o.started >= o.continueAfter || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// next returns the next pending item, fetching a page when the queue is
// empty; ok is false once the round has none left (version 1).
func (o *order) next(ctx workflow.Context) (activities.OrderItemRef, bool, error) {
	if len(o.queue) == 0 && !o.exhausted {
		var page []activities.OrderItemRef
		limit := max(o.window, 100)
		if err := workflow.ExecuteActivity(steps(ctx, "Next items"), a.PendingOrderItems, o.in.OrderID, o.lastFetched, limit).Get(ctx, &page); err != nil {
			return activities.OrderItemRef{}, false, err
		}
		o.queue = page
		if len(page) > 0 {
			o.lastFetched = page[len(page)-1].Seq
		}
		o.exhausted = len(page) < limit
	}
	if len(o.queue) == 0 {
		o.exhausted = true
		return activities.OrderItemRef{}, false, nil
	}
	it := o.queue[0]
	o.queue = o.queue[1:]
	return it, true, nil
}

// start runs one item in its own coroutine; its end is recorded for the
// next batch. Items run on a disconnected context: cancelling the order
// stops new starts but never cuts a production short.
func (o *order) start(ctx workflow.Context, it activities.OrderItemRef) {
	o.running++
	o.started++
	o.cursor = it.Seq
	o.progress.Started = append(o.progress.Started, it.Seq)
	itemCtx, _ := workflow.NewDisconnectedContext(ctx)
	workflow.Go(itemCtx, func(itemCtx workflow.Context) {
		var out activities.ItemOutcome
		if o.in.Kind == KindIssue {
			out = o.produce(itemCtx, it)
		} else {
			out = o.request(itemCtx, it)
		}
		o.progress.Ended = append(o.progress.Ended, store.ItemEnd{Seq: it.Seq, State: out.State, Reason: out.Reason})
		o.running--
	})
}

// request starts the user's Request card and waits until it is persisted.
func (o *order) request(ctx workflow.Context, it activities.OrderItemRef) activities.ItemOutcome {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The call returns once the card is persisted; a retry attaches to
		// the same request (the card id is the item's).
		StartToCloseTimeout: 2 * time.Minute,
		// The activity heartbeats while it waits: a worker gone mid-call
		// is noticed in seconds.
		HeartbeatTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
	var out activities.ItemOutcome
	err := workflow.ExecuteActivity(actx, a.RequestOrderItem, activities.RequestOrderItemInput{
		CardID: it.CardID, UserID: it.UserID, CardType: o.in.CardType, Operator: o.operator,
	}).Get(ctx, &out)
	if err != nil {
		return activities.ItemOutcome{State: store.ItemFailed, Reason: message(err)}
	}
	return out
}

// produce runs IssueCard on the card's lane as a child (Repeat production
// from the second round) and turns its end into the item's: issued is
// done, failed is failed with the station's reason, a refusal (the card is
// not ready) or a busy lane is skipped with the reason.
func (o *order) produce(ctx workflow.Context, it activities.OrderItemRef) activities.ItemOutcome {
	action, doing := issuecard.ActionIssue, "Issue card"
	if o.round > 0 {
		action, doing = issuecard.ActionRepeat, "Repeat production of card"
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            lane.WorkflowID(it.CardID),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// The production goes on if the order is terminated or reset.
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     fmt.Sprintf("%s %s, order %s, by %s", doing, it.CardID, o.in.OrderID, o.operator),
	})
	var s lane.Status
	err := workflow.ExecuteChildWorkflow(cctx, issuecard.WorkflowType, issuecard.Input{
		CardID: it.CardID, Operator: o.operator, Station: o.station, Action: action,
	}).Get(ctx, &s)
	var app *temporal.ApplicationError
	switch {
	case err == nil && s.State == cards.StateFailed:
		return activities.ItemOutcome{State: store.ItemFailed, Reason: s.Reason}
	case err == nil && issuecard.Produced(s.State):
		return activities.ItemOutcome{State: store.ItemDone}
	case err == nil:
		return activities.ItemOutcome{State: store.ItemFailed, Reason: fmt.Sprintf("the production ended with the card %s", s.State)}
	case temporal.IsWorkflowExecutionAlreadyStartedError(err):
		return activities.ItemOutcome{State: store.ItemSkipped, Reason: fmt.Sprintf(
			"card %s is busy: another operation is open on its lane (%s)", it.CardID, lane.WorkflowID(it.CardID))}
	case errors.As(err, &app):
		return activities.ItemOutcome{State: store.ItemSkipped, Reason: app.Message()}
	}
	return activities.ItemOutcome{State: store.ItemFailed, Reason: message(err)}
}

func (o *order) unflushed() int { return len(o.progress.Started) + len(o.progress.Ended) }

// armFlushTimer makes sure progress waiting in the workflow is written
// within FlushAfter: one timer at a time.
func (o *order) armFlushTimer(ctx workflow.Context) {
	if o.unflushed() == 0 || o.timerPending || o.flushDue {
		return
	}
	o.timerPending = true
	workflow.Go(ctx, func(ctx workflow.Context) {
		_ = workflow.NewTimer(ctx, FlushAfter).Get(ctx, nil)
		o.timerPending = false
		o.flushDue = true
	})
}

// flush writes the progress batch (and, with force, the counts even when
// there is none) and keeps the counts it returns.
func (o *order) flush(ctx workflow.Context, force bool) error {
	o.flushDue = false
	if o.unflushed() == 0 && !force {
		return nil
	}
	if o.version >= currentVersion {
		// A cancel never cuts a version-2 write short: its batch would
		// be lost with it.
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	batch := o.takeBatch(ctx)
	var counts store.OrderCounts
	if err := workflow.ExecuteActivity(steps(ctx, "Record progress"), a.RecordOrderProgress, batch).Get(ctx, &counts); err != nil {
		return err
	}
	o.counts = counts
	return nil
}

// takeBatch hands over the progress gathered so far as one batch and
// starts the next.
func (o *order) takeBatch(ctx workflow.Context) activities.RecordOrderProgressInput {
	batch := o.progress
	batch.Round, batch.At = o.round, workflow.Now(ctx)
	o.progress = activities.RecordOrderProgressInput{OrderID: o.in.OrderID, Round: o.round}
	return batch
}
