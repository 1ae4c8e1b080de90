package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// prepareLean is prepareDirectory in one local activity: the policy, the
// user and requester check and the mapping are read together, and the
// search attributes are upserted only if the client did not set them at
// start. Refusals and retries behave as in prepareDirectory.
func (r *request) prepareLean(ctx workflow.Context) error {
	if !r.startedWithSearchAttributes(ctx) {
		// Listed as pending while the reads run (or wait out an outage).
		r.upsertSearchAttributes(ctx)
	}
	var prepared activities.PreparedRequest
	err := r.execute(ctx, step{summary: "Check user and requester", local: true, windowFromPolicy: true}, a.PrepareRequest, &prepared,
		activities.PrepareRequestInput{UserID: r.in.UserID, CardType: r.in.CardType, RequestedBy: r.in.RequestedBy})
	if err != nil {
		return err
	}
	r.policy = prepared.Policy
	if r.policy.RetryFor <= 0 {
		r.policy.RetryFor = activities.DefaultRetryFor
	}
	r.status.CardType = prepared.Policy.CardType
	r.status.ApprovalsRequired = prepared.Policy.ApproversRequired
	r.status.CommonName, r.status.UPN = prepared.Card.CommonName, prepared.Card.UPN

	at := workflow.Now(ctx)
	state := cards.StateApproved
	var notify *activities.NotifyInput
	if r.policy.ApprovalRequired {
		state = cards.StateRequested
		// Known before the write, so that the queued e-mail says it.
		expires := at.Add(r.policy.ApprovalTimeout)
		r.status.ExpiresAt = &expires
		notify = r.queuedNotification(activities.NotifyRequested)
	}
	var persisted activities.PersistCardResult
	if err := r.execute(ctx, step{summary: "Persist card", window: r.policy.RetryFor, waitForCancellation: true}, a.PersistCard, &persisted, activities.PersistCardInput{
		CardID: r.in.CardID, WorkflowID: r.status.WorkflowID, UserID: r.in.UserID, CardType: r.status.CardType,
		CommonName: r.status.CommonName, UPN: r.status.UPN, State: state, RequestedBy: r.in.RequestedBy,
		ApprovalsRequired: r.status.ApprovalsRequired, At: at, Notify: notify,
	}); err != nil {
		r.status.ExpiresAt = nil
		return err
	}
	r.markPersisted(ctx, persisted.State)
	return nil
}

// startedWithSearchAttributes reports whether the client that started the
// execution set its search attributes (the starter and the console do).
func (r *request) startedWithSearchAttributes(ctx workflow.Context) bool {
	_, ok := workflow.GetTypedSearchAttributes(ctx).GetKeyword(UserIDSearchAttribute)
	return ok
}

// retryWindow is how long a failing step is retried: the policy's, read
// on its own (a cheap local activity) if the step that failed was the one
// that reads it.
func (r *request) retryWindow(ctx workflow.Context) time.Duration {
	if r.policy.RetryFor <= 0 {
		r.readPolicy(ctx)
	}
	if r.policy.RetryFor <= 0 {
		return activities.DefaultRetryFor
	}
	return r.policy.RetryFor
}

// readPolicy reads the policy alone, when PrepareRequest did not return it
// (it refused or failed): the status and the search attributes of a
// refused request then still name the card type. Nothing is changed if the
// policy cannot be read.
func (r *request) readPolicy(ctx workflow.Context) {
	local := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: firstTry,
		StartToCloseTimeout:    5 * time.Second,
	})
	var resolved policy.Resolved
	if err := workflow.ExecuteLocalActivity(local, a.ResolvePolicy, r.in.CardType).Get(ctx, &resolved); err != nil {
		return
	}
	r.policy = resolved
	r.status.CardType = resolved.CardType
	r.status.ApprovalsRequired = resolved.ApproversRequired
}

// awaitDecisionLean waits like awaitDecision with one timer at a time (the
// reminder's, then the approval timeout's) and handles signals on this
// coroutine as they arrive.
func (r *request) awaitDecisionLean(ctx workflow.Context) {
	expires := *r.status.ExpiresAt
	var remindAt time.Time
	if r.policy.Notify && r.policy.RemindBefore > 0 {
		remindAt = expires.Add(-r.policy.RemindBefore)
	}
	for {
		r.handleSignals(ctx)
		if r.outcome != nil {
			return
		}
		now := workflow.Now(ctx)
		reminding := !remindAt.IsZero() && now.Before(remindAt)
		deadline := expires
		summary := fmt.Sprintf("Approval timeout (%s): abort if undecided", r.policy.ApprovalTimeout)
		if reminding {
			deadline = remindAt
			summary = fmt.Sprintf("Reminder to approvers (%s before the approval timeout)", r.policy.RemindBefore)
		}
		woken, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      deadline.Sub(now),
			TimerOptions: workflow.TimerOptions{Summary: summary},
		}, func() bool { return r.outcome != nil || r.signalsPending(ctx) })
		switch {
		case err != nil:
			r.decide(ctx, cards.StateAborted, cards.SystemActor, "the workflow was cancelled from Temporal (temporal workflow cancel or the UI)")
			return
		case !woken && reminding:
			remindAt = time.Time{}
			r.notify(ctx, activities.NotifyReminder)
		case !woken:
			r.decide(ctx, cards.StateAborted, cards.SystemActor, fmt.Sprintf("the approval timed out after %s", r.policy.ApprovalTimeout))
			return
		}
	}
}

// signalsPending reports whether a decision signal waits to be handled.
func (r *request) signalsPending(ctx workflow.Context) bool {
	for _, kind := range cards.DecisionKinds {
		if workflow.GetSignalChannel(ctx, kind).Len() > 0 {
			return true
		}
	}
	return false
}

// handleSignals applies (or ignores, with the reason) every decision signal
// received so far, in the order of the decision kinds.
func (r *request) handleSignals(ctx workflow.Context) {
	for _, kind := range cards.DecisionKinds {
		ch := workflow.GetSignalChannel(ctx, kind)
		var raw converter.RawValue
		for ch.ReceiveAsync(&raw) {
			r.onSignal(ctx, kind, raw)
		}
	}
}
