package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// prepareDirectory runs the steps before the card exists, checking the
// requester against the directory. Business rules refuse; infrastructure
// errors are retried for the policy's retry window, after which the request
// fails (InfrastructureUnavailable) with nothing written.
func (r *request) prepareDirectory(ctx workflow.Context) error {
	var resolved policy.Resolved
	if err := r.execute(ctx, step{summary: "Resolve policy", local: true, window: activities.DefaultRetryFor}, a.ResolvePolicy, &resolved, r.in.CardType); err != nil {
		return err
	}
	r.policy = resolved
	r.status.CardType = resolved.CardType
	r.status.ApprovalsRequired = resolved.ApproversRequired
	r.upsertSearchAttributes(ctx)
	window := resolved.RetryFor
	if window <= 0 {
		window = activities.DefaultRetryFor
		r.policy.RetryFor = window
	}

	var user cards.User
	if err := r.execute(ctx, step{summary: "Check user and requester", local: true, window: window}, a.CheckRequest, &user,
		activities.CheckRequestInput{UserID: r.in.UserID, RequestedBy: r.in.RequestedBy, Policy: resolved}); err != nil {
		return err
	}
	var data cards.CardData
	if err := r.execute(ctx, step{summary: "Map user to card", local: true, window: window}, a.MapUserToCard, &data,
		activities.MapUserToCardInput{User: user, Policy: resolved}); err != nil {
		return err
	}
	r.status.CommonName, r.status.UPN = data.CommonName, data.UPN

	state := cards.StateApproved
	if resolved.ApprovalRequired {
		state = cards.StateRequested
	}
	var persisted activities.PersistCardResult
	if err := r.execute(ctx, step{summary: "Persist card", window: window, waitForCancellation: true}, a.PersistCard, &persisted, activities.PersistCardInput{
		CardID: r.in.CardID, WorkflowID: r.status.WorkflowID, UserID: r.in.UserID, CardType: resolved.CardType,
		CommonName: data.CommonName, UPN: data.UPN, State: state, RequestedBy: r.in.RequestedBy,
		ApprovalsRequired: resolved.ApproversRequired, At: workflow.Now(ctx),
	}); err != nil {
		return err
	}
	r.markPersisted(ctx, persisted.State)
	return nil
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
