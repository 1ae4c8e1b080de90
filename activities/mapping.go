package activities

import (
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// mapUserToCard is CardsMapUserToCard, PrepareRequest's last step: it
// derives the card's common name and UPN from the user with the policy's
// templates. A template that fails on this user (a missing field) is not
// worth retrying, so it fails the request.
func (a *Activities) mapUserToCard(user cards.User, p policy.Resolved) (cards.CardData, error) {
	data, err := a.mapper.Map(p, user)
	if err != nil {
		return cards.CardData{}, temporal.NewNonRetryableApplicationError(err.Error(), "MappingFailed", err)
	}
	return data, nil
}
