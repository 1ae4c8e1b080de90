package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
)

// registeredCardSpace names the card a BeginIssue for a user creates when
// the workflow gave no card id: derived from the run, so a retry finds the
// card its first attempt created.
var registeredCardSpace = uuid.MustParse("5b0c9a53-4a53-4e0b-9d8f-3c1f6c7e2a10")

// BeginIssue checks the operator and the card's state, allocates the card
// number (once per card), bumps the production generation (once per run),
// and seals a PIN and PUK if the card has none. Refusals: UseCaseDisabled,
// NotAllowed, InvalidState, CardNotFound, UnknownCardType, and for a card
// created for a user UserNotFound and UserNotActive.
func (a *Activities) BeginIssue(ctx context.Context, in BeginIssueInput) (Production, error) {
	if !a.Policy.UseCases.IssueCard {
		return Production{}, temporal.NewNonRetryableApplicationError(
			"the Issue card use case is disabled: set useCases.issueCard: true in the policy file", cards.ErrUseCaseDisabled, nil)
	}
	doing := "issue cards"
	if in.Repeat {
		doing = "repeat a card's production"
	}
	if err := a.checkOperator(ctx, in.Operator, doing); err != nil {
		return Production{}, err
	}
	card, err := a.cardToIssue(ctx, in)
	if err != nil {
		return Production{}, err
	}
	settings, err := a.production(card.CardType)
	if err != nil {
		return Production{}, err
	}
	station := in.Station
	if station == "" {
		station = settings.Station
	}
	if err := limits.Identifier("station", station); err != nil {
		return Production{}, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
	}
	from, needs := issueFrom, "Issue card needs approved or registered (or failed, for Repeat production)"
	if in.Repeat {
		from, needs = producedFrom, "Repeat production needs failed (or approved or registered)"
	}
	c, err := a.Store.BeginProduction(ctx, store.BeginProduction{
		CardID: card.ID, From: from, RunID: in.RunID, Station: station, Prefix: settings.NumberPrefix, Actor: in.Operator, At: in.At,
	})
	var invalid *store.ErrInvalidState
	switch {
	case errors.As(err, &invalid):
		return Production{}, invalidState(card.ID, invalid, needs)
	case errors.Is(err, store.ErrNoRows):
		return Production{}, cardNotFound(card.ID)
	case err != nil:
		return Production{}, err
	}
	// The PIN and PUK are sealed before the job: a card is never printed
	// without the secrets its holder will be sent.
	if err := a.ensureSecrets(ctx, c.ID, settings.PINLength); err != nil {
		return Production{}, err
	}
	activity.GetLogger(ctx).Info("Card production begins", "cardId", c.ID, "cardNumber", c.CardNumber,
		"generation", c.ProductionGeneration, "station", c.Station, "operator", in.Operator)
	return Production{
		CardID: c.ID, UserID: c.UserID, CardType: c.CardType, CommonName: c.CommonName, UPN: c.UPN,
		Number: c.CardNumber, Generation: c.ProductionGeneration, ValidUntil: in.At.Add(settings.Validity).UTC(),
		Usages: settings.Certificates, Station: c.Station, StationTimeout: settings.StationTimeout,
		PINDelivery: settings.PINDelivery, From: c.State,
	}, nil
}

// cardToIssue returns the card to produce: the one named, or, for Issue
// card for a user (requestCard disabled), a card it creates in registered
// with Request card's mapping.
func (a *Activities) cardToIssue(ctx context.Context, in BeginIssueInput) (store.Card, error) {
	if in.CardID != "" {
		if _, err := uuid.Parse(in.CardID); err != nil {
			return store.Card{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("card id %q is not a UUID", in.CardID), cards.ErrInvalidInput, nil)
		}
		c, err := a.Store.Card(ctx, in.CardID)
		switch {
		case err == nil:
			return c, nil
		case !errors.Is(err, store.ErrNoRows):
			return store.Card{}, err
		case in.UserID == "":
			return store.Card{}, cardNotFound(in.CardID)
		}
	}
	if in.UserID == "" {
		return store.Card{}, temporal.NewNonRetryableApplicationError("Issue card needs a card id, or a user id to create the card for", cards.ErrInvalidInput, nil)
	}
	if a.Policy.UseCases.RequestCard {
		return store.Card{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"Issue card for a user is available only when Request card is disabled: request a card for user %s first (starter request --user %s), then issue it once approved",
			in.UserID, in.UserID), cards.ErrUseCaseDisabled, nil)
	}
	return a.registerCard(ctx, in)
}

// registerCard creates the card of Issue card for a user in registered:
// the user must exist and be active, the card type must be configured, and
// the card's data is Request card's mapping. Idempotent: a retry finds the
// card its first attempt wrote.
func (a *Activities) registerCard(ctx context.Context, in BeginIssueInput) (store.Card, error) {
	resolved, err := a.Policy.Resolve(in.CardType)
	var unknown *policy.ErrUnknownCardType
	if errors.As(err, &unknown) {
		return store.Card{}, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrUnknownCardType, nil, unknown.Known)
	} else if err != nil {
		return store.Card{}, err
	}
	users, err := a.Store.Users(ctx, in.UserID)
	if err != nil {
		return store.Card{}, err
	}
	u, ok := users[in.UserID]
	switch {
	case !ok:
		return store.Card{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("user %q does not exist in the user directory", in.UserID), cards.ErrUserNotFound, nil)
	case !u.Active():
		return store.Card{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("user %q is %q; a card can be issued only for an active user", in.UserID, u.State), cards.ErrUserNotActive, nil, u.State)
	}
	data, err := a.mapUserToCard(u, resolved)
	if err != nil {
		return store.Card{}, err
	}
	id := in.CardID
	if id == "" {
		id = uuid.NewSHA1(registeredCardSpace, []byte(in.RunID)).String()
	}
	c, created, err := a.Store.InsertCard(ctx, store.Card{
		ID: id, UserID: u.ID, CardType: resolved.CardType, CommonName: data.CommonName, UPN: data.UPN,
		State: cards.StateRegistered, RequestedBy: in.Operator, WorkflowID: cards.LaneWorkflowID(id),
	}, in.At)
	switch {
	case errors.Is(err, store.ErrUserMissing):
		return store.Card{}, temporal.NewNonRetryableApplicationError("user "+in.UserID+" left the user directory", cards.ErrUserNotFound, nil)
	case errors.Is(err, store.ErrCardIDTaken):
		return store.Card{}, temporal.NewNonRetryableApplicationError("card id "+id+" is already another user's or card type's card", cards.ErrInvalidInput, nil, id)
	case err != nil:
		return store.Card{}, err
	}
	if created {
		a.recorder().CardPersisted(c.State)
		activity.GetLogger(ctx).Info("Card registered", "cardId", c.ID, "userId", c.UserID, "cardType", c.CardType, "operator", in.Operator)
	}
	return c, nil
}
