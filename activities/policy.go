package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// ResolvePolicy returns the options in force for cardType (the default card
// type when empty). Its result lands in the workflow history, so a request
// keeps the options it started with.
func (a *Activities) ResolvePolicy(_ context.Context, cardType string) (policy.Resolved, error) {
	if !a.Policy.UseCases.RequestCard {
		return policy.Resolved{}, temporal.NewNonRetryableApplicationError(
			"the Request card use case is disabled: set useCases.requestCard: true in the policy file", cards.ErrUseCaseDisabled, nil)
	}
	r, err := a.Policy.Resolve(cardType)
	r.Notify = a.Notifier != nil
	r.RetryFor = a.RetryFor
	r.RequireEncryption = a.RequireEncryption
	if r.RetryFor <= 0 {
		r.RetryFor = DefaultRetryFor
	}
	var unknown *policy.ErrUnknownCardType
	if errors.As(err, &unknown) {
		return r, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrUnknownCardType, nil, unknown.Known)
	}
	return r, err
}
