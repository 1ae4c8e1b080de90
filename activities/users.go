package activities

import (
	"bytes"
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
	commonName, err := a.execute(in.Policy.CommonNameTemplate, in.User)
	if err != nil {
		return cards.CardData{}, temporal.NewNonRetryableApplicationError("mapping commonName: "+err.Error(), "MappingFailed", err)
	}
	upn, err := a.execute(in.Policy.UPNTemplate, in.User)
	if err != nil {
		return cards.CardData{}, temporal.NewNonRetryableApplicationError("mapping upn: "+err.Error(), "MappingFailed", err)
	}
	return cards.CardData{CommonName: commonName, UPN: upn}, nil
}

func (a *Activities) execute(src string, u cards.User) (string, error) {
	t, err := a.template(src)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, u); err != nil {
		return "", err
	}
	return buf.String(), nil
}
