package order

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
)

// setup registers the status query and the repeat and complete updates,
// before the order's first step.
func (o *order) setup(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, StatusQuery, func() (Document, error) { return o.document(), nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, RepeatUpdate, o.repeat,
		workflow.UpdateHandlerOptions{Validator: o.validateRepeat}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, CompleteUpdate, o.complete,
		workflow.UpdateHandlerOptions{Validator: o.validateComplete})
}

// waitingOnly refuses an operator's choice unless the order waits for it.
func (o *order) waitingOnly(what string) error {
	switch {
	case o.in.Kind != KindIssue:
		return refuse(cards.ErrInvalidState, "order %s is a request order: it completes by itself once every user is tried; only an issue order can %s", o.in.OrderID, what)
	case o.busy:
		return refuse(cards.ErrInvalidState, "order %s is already being repeated or completed; try again in a moment", o.in.OrderID)
	case o.state == store.OrderRunning && o.ending:
		// Every item is tried and the round's end is being written: the
		// handler waits for it (settle) and decides then.
		return nil
	case o.state == store.OrderRunning:
		return refuse(cards.ErrInvalidState, "order %s is still running (%d items not yet ended); it can %s once every item is tried and it waits",
			o.in.OrderID, o.counts.Running, what)
	case o.state != store.OrderWaiting:
		return refuse(cards.ErrInvalidState, "order %s is %s; nothing to %s", o.in.OrderID, o.state, what)
	}
	return nil
}

func (o *order) validateRepeat(_ workflow.Context, in RepeatInput) error {
	if err := limits.Identifier("operator", in.Operator); err != nil {
		return refuse(cards.ErrInvalidInput, "%s", err.Error())
	}
	if in.Station != "" {
		if err := limits.Identifier("station", in.Station); err != nil {
			return refuse(cards.ErrInvalidInput, "%s", err.Error())
		}
	}
	if err := o.waitingOnly("repeat its failed items"); err != nil {
		return err
	}
	if !o.ending && o.counts.Failed == 0 {
		return refuse(cards.ErrInvalidState, "order %s has no failed items to repeat", o.in.OrderID)
	}
	return nil
}

// repeat makes the failed items pending for the next round (on the
// station given, or each card type's own) and sets the order running.
func (o *order) repeat(ctx workflow.Context, in RepeatInput) (RepeatResult, error) {
	if err := o.settle(ctx, "repeat its failed items"); err != nil {
		return RepeatResult{}, err
	}
	if o.counts.Failed == 0 {
		return RepeatResult{}, refuse(cards.ErrInvalidState, "order %s has no failed items to repeat", o.in.OrderID)
	}
	o.busy = true
	defer func() { o.busy = false }()
	round := o.round + 1
	var n int
	if err := workflow.ExecuteActivity(steps(ctx, "Repeat the failed items"), a.RepeatOrder, activities.RepeatOrderInput{
		OrderID: o.in.OrderID, Round: round, Station: in.Station, Operator: in.Operator, At: workflow.Now(ctx),
	}).Get(ctx, &n); err != nil {
		return RepeatResult{}, unwrapActivity(err)
	}
	o.round, o.station, o.operator = round, in.Station, in.Operator
	o.cursor, o.lastFetched, o.exhausted, o.queue = 0, 0, false, nil
	o.progress = activities.RecordOrderProgressInput{OrderID: o.in.OrderID, Round: round}
	o.counts.Running, o.counts.Failed = o.counts.Running+n, o.counts.Failed-n
	o.state = store.OrderRunning
	return RepeatResult{Round: round, Repeated: n}, nil
}

func (o *order) validateComplete(_ workflow.Context, in CompleteInput) error {
	if err := limits.Identifier("operator", in.Operator); err != nil {
		return refuse(cards.ErrInvalidInput, "%s", err.Error())
	}
	return o.waitingOnly("be completed")
}

// complete ends the waiting order: its failed cards stay failed.
func (o *order) complete(ctx workflow.Context, _ CompleteInput) (Document, error) {
	if err := o.settle(ctx, "be completed"); err != nil {
		return o.document(), err
	}
	o.busy = true
	defer func() { o.busy = false }()
	if err := o.setState(ctx, store.OrderCompleted); err != nil {
		return o.document(), err
	}
	return o.document(), nil
}

// settle waits until the round's end is written (an update the validator
// accepted while it was), then checks again that the order waits.
func (o *order) settle(ctx workflow.Context, what string) error {
	if !o.ending {
		return nil
	}
	if err := workflow.Await(ctx, func() bool { return !o.ending }); err != nil {
		return err
	}
	return o.waitingOnly(what)
}

func refuse(errType, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), errType, nil)
}
