package activities

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
)

// CheckUserState returns the user if it exists and is active: the use case's
// prerequisite. Any other state is a refusal that names the state.
func (a *Activities) CheckUserState(ctx context.Context, userID string) (cards.User, error) {
	u, err := a.Store.User(ctx, userID)
	if errors.Is(err, store.ErrNoRows) {
		return u, temporal.NewNonRetryableApplicationError(fmt.Sprintf("user %q does not exist in the user directory", userID), cards.ErrUserNotFound, nil)
	}
	if err != nil {
		return u, err
	}
	if u.State != cards.ActiveUserState {
		return u, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("user %q is %q; a card can be requested only for an active user", userID, u.State), cards.ErrUserNotActive, nil, u.State)
	}
	return u, nil
}

// MapUserToCardInput is the user and the mapping templates in force.
type MapUserToCardInput struct {
	User   cards.User      `json:"user"`
	Policy policy.Resolved `json:"policy"`
}

// MapUserToCard is CardsMapUserToCard: it derives the card's common name and
// UPN from the user with the policy's templates. A template that fails on this
// user (a missing field) is not worth retrying, so it fails the request.
func (a *Activities) MapUserToCard(_ context.Context, in MapUserToCardInput) (cards.CardData, error) {
	data, err := a.mapper.Map(in.Policy, in.User)
	if err != nil {
		return cards.CardData{}, temporal.NewNonRetryableApplicationError(err.Error(), "MappingFailed", err)
	}
	return data, nil
}
