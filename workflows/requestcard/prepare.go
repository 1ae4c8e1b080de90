package requestcard

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// prepare runs the steps before the card exists. One local activity reads
// the policy, checks the user and the requester against the directory and
// maps the user to the card's data; the search attributes are upserted only
// if the client did not set them at start. Business rules refuse;
// infrastructure errors are retried for the policy's retry window, after
// which the request fails (InfrastructureUnavailable) with nothing written.
func (r *request) prepare(ctx workflow.Context) error {
	if !r.startedWithSearchAttributes(ctx) {
		// Listed as pending while the reads run (or wait out an outage).
		r.upsertSearchAttributes(ctx)
	}
	var prepared activities.PreparedRequest
	err := r.execute(ctx, step{summary: "Check user and requester", local: true, windowFromPolicy: true}, a.PrepareRequest, &prepared,
		activities.PrepareRequestInput{UserID: r.in.UserID, CardType: r.in.CardType, RequestedBy: r.in.RequestedBy, Batch: r.in.Batch})
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
	if err := r.execute(ctx, step{summary: "Persist card", window: r.policy.RetryFor, waitForCancellation: true, local: r.version >= localWritesVersion}, a.PersistCard, &persisted, activities.PersistCardInput{
		CardID: r.in.CardID, WorkflowID: r.status.WorkflowID, UserID: r.in.UserID, CardType: r.status.CardType,
		CommonName: r.status.CommonName, UPN: r.status.UPN, State: state, RequestedBy: r.in.RequestedBy,
		ApprovalsRequired: r.status.ApprovalsRequired, At: at, Notify: notify, OpenApproval: r.openApproval(ctx, at),
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

// markPersisted records that the card exists in state.
func (r *request) markPersisted(ctx workflow.Context, state cards.State) {
	r.persisted = true
	r.status.State = state
	if state == cards.StateApproved && !r.policy.ApprovalRequired {
		r.final = true
	}
	if r.policy.ApprovalRequired && r.status.ExpiresAt == nil {
		expires := workflow.Now(ctx).Add(r.policy.ApprovalTimeout)
		r.status.ExpiresAt = &expires
	}
	r.upsertSearchAttributes(ctx)
	r.setDetails(ctx)
}

// isPolicyRefusal reports whether err is the policy's own refusal, which
// reading the policy again would repeat.
func isPolicyRefusal(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && (appErr.Type() == cards.ErrUnknownCardType || appErr.Type() == cards.ErrUseCaseDisabled)
}

// isInfrastructureFailure reports whether err ended a step whose retries ran
// out, as opposed to a business refusal.
func isInfrastructureFailure(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == cards.ErrInfrastructureUnavailable
}
