package cardstate

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/lane"
)

// operation is one run of Deactivate, Reactivate or Lock card.
type operation struct {
	kind   kind
	in     Input
	status lane.Status
	plan   activities.OperationPlan
	runID  string

	// The approval wait: awaiting while it runs; preempted once a Lock
	// card's pre-emption was accepted; cancelWait ends the wait.
	awaiting   bool
	preempted  *lane.Preemption
	cancelWait workflow.CancelFunc
}

// steps is an operation's CA step and transition.
type steps func(o *operation, ctx workflow.Context) (lane.Status, error)

// run is the shape every operation shares: handlers first, the check, the
// optional approval, then the operation's steps, on a disconnected context:
// once the CA's step has begun a cancellation must not leave the card's
// state behind its certificates, so a started transition always finishes.
func run(ctx workflow.Context, k kind, in Input, do steps) (lane.Status, error) {
	o := &operation{kind: k, in: in, runID: workflow.GetInfo(ctx).WorkflowExecution.RunID,
		status: lane.Status{Type: k.workflowType, CardID: in.CardID, Step: "checking the card"}}
	if err := lane.SetupStatus(ctx, &o.status); err != nil {
		return o.status, err
	}
	if k.preemptible {
		if err := o.setupPreemption(ctx); err != nil {
			return o.status, err
		}
	}
	finish, _ := workflow.NewDisconnectedContext(ctx)
	status, err := o.body(ctx, finish, do)
	// Pre-emptions still being checked end (refused) before the workflow.
	_ = workflow.Await(finish, func() bool { return workflow.AllHandlersFinished(finish) })
	return status, err
}

func (o *operation) body(ctx, finish workflow.Context, do steps) (lane.Status, error) {
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Check "+o.kind.name), a.CheckOperation, o.input(ctx)).Get(ctx, &o.plan); err != nil {
		return o.end(err)
	}
	if o.plan.Approval.Required {
		if status, ended, err := o.approve(ctx, finish); ended {
			return status, err
		}
	}
	return do(o, finish)
}

// input is the activities' view of the operation, at the current time.
func (o *operation) input(ctx workflow.Context) activities.OperationInput {
	return activities.OperationInput{Kind: o.kind.name, CardID: o.in.CardID, Operator: o.in.Operator,
		Comment: o.in.Comment, Compromised: o.in.Compromised, At: workflow.Now(ctx)}
}

// transition marks the card's new state (and queues the holder's e-mail).
func (o *operation) transition(ctx workflow.Context, step string) (lane.Status, error) {
	o.status.Step = step
	var state cards.State
	in := activities.TransitionInput{OperationInput: o.input(ctx), RunID: o.runID}
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Mark "+o.kind.name), a.Transition, in).Get(ctx, &state); err != nil {
		return o.end(err)
	}
	o.status.State = state
	o.status.Step = string(state)
	o.status.Done = true
	return o.status, nil
}

// end returns a refusal as the workflow's error, with its application
// error type (InvalidState, NotAllowed, ...), which the starter reports.
func (o *operation) end(err error) (lane.Status, error) {
	o.status.Done = true
	o.status.AwaitingApproval = false
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		o.status.Step = "refused: " + app.Message()
		return o.status, app
	}
	o.status.Step = "failed: " + err.Error()
	return o.status, err
}

// abort records an operation that ends without its transition and returns
// its status: the card's state is unchanged.
func (o *operation) abort(ctx workflow.Context, actor, reason string) (lane.Status, error) {
	o.status.Step = "recording the aborted " + o.kind.operation
	o.status.AwaitingApproval = false
	err := workflow.ExecuteActivity(lane.Steps(ctx, "Record aborted "+o.kind.operation), a.RecordAbort, activities.AbortInput{
		Kind: o.kind.name, CardID: o.in.CardID, From: o.plan.From, Actor: actor, Reason: reason, RunID: o.runID, At: workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		return o.end(err)
	}
	o.status.State = o.plan.From
	o.status.Aborted = reason
	o.status.Step = "aborted: " + reason
	o.status.Done = true
	return o.status, nil
}
