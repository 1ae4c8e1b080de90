package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// a names activities through their registered methods; it is never called
// through, so nil is enough.
var a *activities.Activities

// request is the state of one RequestCard execution. Handlers and the main
// routine share it; the workflow runs one coroutine at a time, so no locking.
type request struct {
	// version is the behaviour this execution runs (see version.go).
	version   workflow.Version
	in        RequestCardInput
	status    cards.Status
	policy    policy.Resolved
	persisted bool
	// refusal ends the request before the card exists (a business rule said
	// no, or the request could not be persisted).
	refusal error
	// outcome is the decision taken; final is set once it is written.
	outcome *cards.Decision
	final   bool
	// transitionErr is a failure to write the outcome.
	transitionErr error
	// stopSignals, closed by finish, ends the signal coroutine, which then
	// sets signalsStopped.
	stopSignals    workflow.Channel
	signalsStopped bool
	// pendingNotifications counts Notify activities not yet finished; the
	// workflow waits for them before it returns.
	pendingNotifications int
}

// RequestCard runs the Request card use case for one card.
func RequestCard(ctx workflow.Context, in RequestCardInput) (cards.Status, error) {
	r := newRequest(ctx, in)
	// First, before any handler can run: every handler depends on it.
	r.version = workflow.GetVersion(ctx, versionChangeID, workflow.DefaultVersion, latestVersion)
	if err := r.setup(ctx); err != nil {
		return r.status, err
	}
	return r.run(ctx)
}

func newRequest(ctx workflow.Context, in RequestCardInput) *request {
	return &request{
		in: in,
		status: cards.Status{
			ID:          in.CardID,
			WorkflowID:  workflow.GetInfo(ctx).WorkflowExecution.ID,
			UserID:      in.UserID,
			CardType:    in.CardType,
			State:       cards.StatePending,
			RequestedBy: in.RequestedBy,
			Approvals:   []cards.Approval{},
			Ignored:     []cards.Ignored{},
		},
	}
}

// run resolves the policy, checks the user, maps and persists the card, then
// waits for a decision when the policy asks for one.
func (r *request) run(ctx workflow.Context) (cards.Status, error) {
	logger := r.logger(ctx)
	logger.Info("Card requested", "cardType", r.in.CardType, "requestedBy", r.in.RequestedBy)
	prepare := r.prepare
	switch {
	case r.lean():
		prepare = r.prepareLean
	case r.directory():
		prepare = r.prepareDirectory
	}
	if err := prepare(ctx); err != nil {
		if temporal.IsCanceledError(err) {
			// Cancelled before the card was known to exist: the insert may
			// still have committed, so abort whatever is there.
			r.decide(ctx, cards.StateAborted, cards.SystemActor, "the request was cancelled from Temporal before a decision")
			r.writeOutcome(ctx)
			return r.finish(ctx, err)
		}
		logger.Info("Card request refused", "reason", err.Error())
		if r.lean() && r.status.CardType == "" && !isPolicyRefusal(err) {
			r.readPolicy(ctx)
		}
		r.refusal = err
		r.status.State = cards.StateRefused
		if isInfrastructureFailure(err) {
			r.status.State = cards.StateFailed
		}
		r.upsertSearchAttributes(ctx)
		r.setDetails(ctx)
		return r.finish(ctx, err)
	}

	if r.status.State == cards.StateRequested {
		logger.Info("Waiting for approval", "approvalsRequired", r.policy.ApproversRequired, "timeout", r.policy.ApprovalTimeout.String())
		if r.lean() {
			// The requested e-mails were queued with the card.
			r.awaitDecisionLean(ctx)
		} else {
			if r.directory() {
				r.notify(ctx, activities.NotifyRequested)
			}
			r.awaitDecision(ctx)
		}
		r.writeOutcome(ctx)
		if r.directory() && !r.lean() && r.transitionErr == nil && r.status.State.Final() {
			r.notify(ctx, activities.NotifyDecided)
		}
	}
	logger.Info("Card request finished", "state", string(r.status.State))
	if ctx.Err() != nil {
		return r.finish(ctx, temporal.NewCanceledError())
	}
	if r.transitionErr != nil {
		return r.finish(ctx, r.transitionErr)
	}
	return r.finish(ctx, nil)
}

// prepare runs the steps before the card exists; any error refuses the
// request. It is the behaviour before versionDirectory, kept so that
// executions that started with it replay.
func (r *request) prepare(ctx workflow.Context) error {
	local := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 10 * time.Second},
	})
	var resolved policy.Resolved
	if err := workflow.ExecuteLocalActivity(local, a.ResolvePolicy, r.in.CardType).Get(ctx, &resolved); err != nil {
		return err
	}
	r.policy = resolved
	r.status.CardType = resolved.CardType
	r.status.ApprovalsRequired = resolved.ApproversRequired
	r.upsertSearchAttributes(ctx)

	var user cards.User
	if err := workflow.ExecuteLocalActivity(local, a.CheckUserState, r.in.UserID).Get(ctx, &user); err != nil {
		return err
	}
	var data cards.CardData
	if err := workflow.ExecuteLocalActivity(local, a.MapUserToCard, activities.MapUserToCardInput{User: user, Policy: resolved}).Get(ctx, &data); err != nil {
		return err
	}
	r.status.CommonName, r.status.UPN = data.CommonName, data.UPN

	state := cards.StateApproved
	if resolved.ApprovalRequired {
		state = cards.StateRequested
	}
	// A cancelled insert may still commit: wait for the attempt to end, so
	// that the abort written after a cancellation finds the card.
	persistCtx := workflow.WithWaitForCancellation(writeOptions(ctx, "Persist card"), true)
	var persisted activities.PersistCardResult
	err := workflow.ExecuteActivity(persistCtx, a.PersistCard, activities.PersistCardInput{
		CardID: r.in.CardID, WorkflowID: r.status.WorkflowID, UserID: r.in.UserID, CardType: resolved.CardType,
		CommonName: data.CommonName, UPN: data.UPN, State: state, RequestedBy: r.in.RequestedBy,
		ApprovalsRequired: resolved.ApproversRequired, At: workflow.Now(ctx),
	}).Get(ctx, &persisted)
	if err != nil {
		return err
	}
	r.markPersisted(ctx, persisted.State)
	return nil
}

// awaitDecision waits for enough approvals, a rejection, a cancel, the
// approval timeout, or cancellation of the workflow.
func (r *request) awaitDecision(ctx workflow.Context) {
	timeout := r.status.ExpiresAt.Sub(workflow.Now(ctx))
	if r.directory() && r.policy.Notify && r.policy.RemindBefore > 0 {
		stopReminder := r.remindBefore(ctx, timeout-r.policy.RemindBefore)
		defer stopReminder()
	}
	decided, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      timeout,
		TimerOptions: workflow.TimerOptions{Summary: fmt.Sprintf("Approval timeout (%s): abort if undecided", r.policy.ApprovalTimeout)},
	}, func() bool { return r.outcome != nil })
	switch {
	case err != nil:
		r.decide(ctx, cards.StateAborted, cards.SystemActor, "the workflow was cancelled from Temporal (temporal workflow cancel or the UI)")
	case !decided:
		r.decide(ctx, cards.StateAborted, cards.SystemActor, fmt.Sprintf("the approval timed out after %s", r.policy.ApprovalTimeout))
	}
}

// writeOutcome persists the decision. It runs on a disconnected context so
// that a cancelled workflow still records that the card was aborted.
func (r *request) writeOutcome(ctx workflow.Context) {
	if r.outcome == nil || r.final {
		return
	}
	writeCtx, _ := workflow.NewDisconnectedContext(ctx)
	var state cards.State
	input := activities.TransitionCardInput{
		CardID: r.in.CardID, To: r.outcome.To, Actor: r.outcome.Actor, Comment: r.outcome.Comment, At: r.outcome.At,
		Approvals: r.approvalsFor(r.outcome.To),
	}
	var err error
	if r.lean() {
		// The decided e-mails are queued with the transition.
		r.status.Decision = r.outcome
		input.Notify = r.queuedNotification(activities.NotifyDecided)
	}
	if r.directory() {
		// The card exists: giving up would leave it requested with nobody
		// to decide it, so the decision is retried until it is written.
		err = r.execute(writeCtx, step{summary: "Card " + string(r.outcome.To)}, a.TransitionCard, &state, input)
	} else {
		err = workflow.ExecuteActivity(writeOptions(writeCtx, "Card "+string(r.outcome.To)), a.TransitionCard, input).Get(writeCtx, &state)
	}
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		r.status.State = state
	case errors.As(err, &appErr) && appErr.Type() == cards.ErrCardNotFound && !r.persisted:
		// Cancelled before the card was written: there is nothing to abort.
	case errors.As(err, &appErr) && appErr.Type() == cards.ErrAlreadyDecided:
		// Someone changed the card outside this workflow; report what is stored.
		_ = appErr.Details(&state)
		r.status.State = state
		r.transitionErr = err
	default:
		r.transitionErr = err
	}
	r.final = true
	r.status.Decision = r.outcome
	r.upsertSearchAttributes(writeCtx)
	r.setDetails(writeCtx)
}

func (r *request) approvalsFor(to cards.State) []cards.Approval {
	if to != cards.StateApproved {
		return nil
	}
	return r.status.Approvals
}

// finish lets update handlers answer and drains signals that arrived in the
// meantime (recording them as ignored), then returns.
func (r *request) finish(ctx workflow.Context, err error) (cards.Status, error) {
	waitCtx, _ := workflow.NewDisconnectedContext(ctx)
	if r.stopSignals != nil {
		r.stopSignals.Close()
	}
	_ = workflow.Await(waitCtx, func() bool {
		return r.signalsStopped && r.pendingNotifications == 0 && workflow.AllHandlersFinished(waitCtx)
	})
	r.drainSignals(waitCtx)
	return r.status, err
}

// logger adds the card and user to every line; the SDK already adds the
// workflow id and run id, and drops lines while replaying.
func (r *request) logger(ctx workflow.Context) log.Logger {
	return log.With(workflow.GetLogger(ctx), "cardId", r.in.CardID, "userId", r.in.UserID)
}

func writeOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumInterval: 30 * time.Second},
		Summary:             summary,
	})
}
