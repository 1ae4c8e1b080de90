package requestcard

import (
	"errors"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/workflows/approval"
)

// a names activities through their registered methods; it is never called
// through, so nil is enough.
var a *activities.Activities

// request is the state of one RequestCard execution. Handlers and the main
// routine share it; the workflow runs one coroutine at a time, so no locking.
type request struct {
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
	// pendingNotifications counts Notify activities (reminders) not yet
	// finished; the workflow waits for them before it returns.
	pendingNotifications int
	// version is the recorded version of versionChangeID: 2 waits for
	// approval with its own code, 3 on the shared process.
	version workflow.Version
	// process is the shared approval process (version 3), once opened.
	process *approval.Process
	// approvalDecision is how the process's approval ended (version 3):
	// the approvals row's final state, written with the decision.
	approvalDecision string
	// decidingVote is the vote that decided the approval (version 4):
	// TransitionCard writes its audit row with the decision.
	decidingVote *activities.RecordVoteInput
}

// RequestCard runs the Request card use case for one card.
func RequestCard(ctx workflow.Context, in RequestCardInput) (cards.Status, error) {
	r := newRequest(ctx, in)
	// First, before anything else: an execution recorded with a retired
	// version fails here (see version.go) instead of diverging later.
	r.version = workflow.GetVersion(ctx, versionChangeID, minSupportedVersion, currentVersion)
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
	if err := r.prepare(ctx); err != nil {
		if temporal.IsCanceledError(err) {
			// Cancelled before the card was known to exist: the insert may
			// still have committed, so abort whatever is there.
			r.decide(ctx, cards.StateAborted, cards.SystemActor, "the request was cancelled from Temporal before a decision")
			r.writeOutcome(ctx)
			return r.finish(ctx, err)
		}
		logger.Info("Card request refused", "reason", err.Error())
		if r.status.CardType == "" && !isPolicyRefusal(err) {
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
		// The requested e-mails were queued with the card.
		if r.version >= 3 {
			r.awaitApproval(ctx)
		} else {
			r.awaitDecision(ctx)
		}
		r.writeOutcome(ctx)
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
		Approvals: r.approvalsFor(r.outcome.To), CloseApproval: r.closeApproval(ctx), Vote: r.decidingVote,
	}
	// The decided e-mails are queued with the transition.
	r.status.Decision = r.outcome
	input.Notify = r.queuedNotification(activities.NotifyDecided)
	// The card exists: giving up would leave it requested with nobody to
	// decide it, so the decision is retried until it is written.
	err := r.execute(writeCtx, step{summary: "Card " + string(r.outcome.To), local: r.version >= localWritesVersion}, a.TransitionCard, &state, input)
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
	_ = workflow.Await(waitCtx, func() bool {
		return r.pendingNotifications == 0 && workflow.AllHandlersFinished(waitCtx)
	})
	r.handleSignals(waitCtx)
	return r.status, err
}

// logger adds the card and user to every line; the SDK already adds the
// workflow id and run id, and drops lines while replaying.
func (r *request) logger(ctx workflow.Context) log.Logger {
	return log.With(workflow.GetLogger(ctx), "cardId", r.in.CardID, "userId", r.in.UserID)
}
