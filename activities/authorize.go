package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// checkRequest is the prerequisite of the use case and the requester rule in
// one directory read, PrepareRequest's second step: the user must exist and
// be active, and the requester must be an active user holding the policy's
// requesterRole (or, with selfService, the user themselves). p is the policy
// in force. It returns the user for the mapping.
func (a *Activities) checkRequest(ctx context.Context, in PrepareRequestInput, p policy.Resolved) (cards.User, error) {
	users, err := a.Store.Users(ctx, in.UserID, in.RequestedBy)
	if err != nil {
		return cards.User{}, err
	}
	u, ok := users[in.UserID]
	if !ok {
		return cards.User{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("user %q does not exist in the user directory", in.UserID), cards.ErrUserNotFound, nil)
	}
	if !u.Active() {
		return u, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("user %q is %q; a card can be requested only for an active user", in.UserID, u.State), cards.ErrUserNotActive, nil, u.State)
	}
	if p.SelfService && in.RequestedBy == in.UserID {
		return u, nil
	}
	role := p.RequesterRole
	selfHint := ""
	if p.SelfService {
		selfHint = " (self-service lets users request only their own card)"
	}
	requester, ok := users[in.RequestedBy]
	switch {
	case !ok:
		return u, notAllowed("requester %q is not a user of the directory: only active users holding role %q may request cards%s", in.RequestedBy, role, selfHint)
	case !requester.Active():
		return u, notAllowed("requester %q is %q: only active users may request cards", in.RequestedBy, requester.State)
	case !requester.HasRole(role):
		return u, notAllowed("requester %q does not hold role %q, which the policy (requesterRole) requires to request cards%s", in.RequestedBy, role, selfHint)
	}
	return u, nil
}

// AuthorizeDecisionInput is a decision to authorize against the directory.
type AuthorizeDecisionInput struct {
	Kind         string `json:"kind"`
	Actor        string `json:"actor"`
	CardUserID   string `json:"cardUserId"`
	RequestedBy  string `json:"requestedBy"`
	CardType     string `json:"cardType"`
	ApproverRole string `json:"approverRole"`
}

// AuthorizeDecision checks an approval or a rejection against the directory
// as it is now: the actor must be an active user holding the card type's
// approver role, and neither the requester nor the card's user. A refusal
// is a non-retryable NotAllowed that names the rule that failed.
func (a *Activities) AuthorizeDecision(ctx context.Context, in AuthorizeDecisionInput) error {
	switch in.Actor {
	case in.RequestedBy:
		return notAllowed("%s requested this card and cannot %s it", in.Actor, in.Kind)
	case in.CardUserID:
		return notAllowed("%s is the user this card is for and cannot %s it", in.Actor, in.Kind)
	}
	users, err := a.Store.Users(ctx, in.Actor)
	if err != nil {
		return err
	}
	actor, ok := users[in.Actor]
	switch {
	case !ok:
		return notAllowed("%s is not a user of the directory: only active users holding role %q may %s %s cards", in.Actor, in.ApproverRole, in.Kind, in.CardType)
	case !actor.Active():
		return notAllowed("%s is %q in the directory: only active users may %s cards", in.Actor, actor.State, in.Kind)
	case !actor.HasRole(in.ApproverRole):
		return notAllowed("%s does not hold role %q, which is required to %s %s cards", in.Actor, in.ApproverRole, in.Kind, in.CardType)
	}
	return nil
}

func notAllowed(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), cards.ErrNotAllowed, nil)
}
