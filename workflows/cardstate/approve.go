package cardstate

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/approval"
	"github.com/cardflow/cardflow/workflows/lane"
)

// approver is the part of the shared approval process (approval.Process)
// an operation uses.
type approver interface {
	Await(ctx workflow.Context) (approval.Outcome, error)
	Abort(ctx workflow.Context, reason string) error
}

// openApproval opens the operation's approval. A variable so that this
// package's tests can stand in for the shared process (the approval
// branch's own tests cover the process itself).
var openApproval = func(ctx workflow.Context, req approval.Request, pol approval.Policy) (approver, error) {
	p, err := approval.Open(ctx, req, pol)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// approve opens the approval and waits for it. ended is true when the
// operation ends here: rejected, timed out, pre-empted by Lock card or
// cancelled (all recorded as aborted, the card unchanged), or failed.
func (o *operation) approve(ctx, finish workflow.Context) (status lane.Status, ended bool, err error) {
	pol := approval.Policy{Required: true, Approvers: o.plan.Approval.Approvers, ApproverRole: o.plan.Approval.ApproverRole,
		Timeout: o.plan.Approval.Timeout, RemindBefore: o.plan.Approval.RemindBefore}
	p, err := openApproval(ctx, approval.Request{CardID: o.in.CardID, Operation: o.kind.operation, RequestedBy: o.in.Operator,
		HolderID: o.plan.UserID, CardType: o.plan.CardType}, pol)
	if err != nil {
		status, err = o.end(err)
		return status, true, err
	}
	waitCtx, cancel := workflow.WithCancel(ctx)
	o.cancelWait = cancel
	o.awaiting, o.status.AwaitingApproval = true, true
	o.status.Step = "waiting for approval"
	outcome, waitErr := p.Await(waitCtx)
	o.awaiting, o.status.AwaitingApproval = false, false

	switch {
	case o.preempted != nil:
		reason := fmt.Sprintf("Lock card by %s pre-empted it while it waited for approval", o.preempted.Operator)
		status, err = o.closeAndAbort(finish, p, o.preempted.Operator, reason)
		return status, true, err
	case ctx.Err() != nil:
		status, err = o.closeAndAbort(finish, p, cards.SystemActor, "the operation was cancelled while it waited for approval")
		return status, true, err
	case waitErr != nil:
		status, err = o.end(waitErr)
		return status, true, err
	case outcome.Decision == approval.Approved:
		return lane.Status{}, false, nil
	}
	actor, reason := outcome.Actor, outcomeReason(outcome, pol.Timeout)
	status, err = o.abort(finish, actor, reason)
	return status, true, err
}

// closeAndAbort closes the open approval as aborted (on the disconnected
// context: the workflow may be cancelled) and records the aborted
// operation with the reason.
func (o *operation) closeAndAbort(finish workflow.Context, p approver, actor, reason string) (lane.Status, error) {
	o.status.Step = "closing the approval"
	if err := p.Abort(finish, reason); err != nil {
		return o.end(err)
	}
	return o.abort(finish, actor, reason)
}

// outcomeReason says why an approval that did not approve ended.
func outcomeReason(out approval.Outcome, timeout time.Duration) string {
	switch out.Decision {
	case approval.Rejected:
		r := "rejected by " + out.Actor
		if out.Comment != "" {
			r += ": " + out.Comment
		}
		return r
	case approval.TimedOut:
		return fmt.Sprintf("no decision within the approval timeout (%s)", timeout)
	}
	return "the approval ended " + out.Decision
}

// setupPreemption registers the update by which Lock card ends this
// operation while it waits for approval (lane.PreemptUpdate). The
// validator refuses it (CardBusy) unless the operation waits; the handler
// runs Lock's own checks first, so a Lock that would be refused (not
// allowed, no comment) pre-empts nothing, then ends the wait.
func (o *operation) setupPreemption(ctx workflow.Context) error {
	notWaiting := func() error {
		return temporal.NewApplicationError(fmt.Sprintf("card %s is busy: %s is open (%s) and no longer waits for approval; wait for it to end and try again",
			o.in.CardID, o.kind.workflowType, o.status.Step), cards.ErrCardBusy)
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, lane.PreemptUpdate,
		func(ctx workflow.Context, p lane.Preemption) error {
			lockIn := Input{CardID: o.in.CardID, Operator: p.Operator, Comment: p.Comment, Compromised: p.Compromised}
			check := (&operation{kind: lock, in: lockIn}).input(ctx)
			if err := workflow.ExecuteActivity(lane.Steps(ctx, "Check the pre-empting lock"), a.CheckOperation, check).Get(ctx, nil); err != nil {
				return unwrap(err)
			}
			if !o.awaiting || o.preempted != nil {
				return notWaiting()
			}
			o.preempted = &p
			o.cancelWait()
			return nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, p lane.Preemption) error {
			if p.Type != LockType {
				return temporal.NewApplicationError("only Lock card pre-empts an operation waiting for approval", cards.ErrCardBusy)
			}
			if !o.awaiting || o.preempted != nil {
				return notWaiting()
			}
			return nil
		}})
}

// unwrap returns the application error under an activity error, so that
// the update fails with the refusal's own type.
func unwrap(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app
	}
	return err
}
