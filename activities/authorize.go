package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/approvalrules"
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
	// Operation is what is approved (request, deactivation, ...); empty
	// is a request (histories written before the shared process).
	Operation string `json:"operation,omitempty"`
}

// AuthorizeDecision checks an approval, a rejection or a postponement
// against the directory as it is now, with the one rule set
// (approvalrules.Approver): the actor must be an active user holding the
// approver role, and neither the requester nor the card's user. A refusal
// is a non-retryable NotAllowed that names the rule that failed.
func (a *Activities) AuthorizeDecision(ctx context.Context, in AuthorizeDecisionInput) error {
	c := approvalrules.Case{Operation: in.Operation, RequestedBy: in.RequestedBy, HolderID: in.CardUserID, CardType: in.CardType, ApproverRole: in.ApproverRole}
	if r := approvalrules.Approver(c, in.Kind, in.Actor, nil); r != nil && r.Rule != approvalrules.RuleUnknownUser {
		// Requester and holder need no read.
		return temporal.NewNonRetryableApplicationError(r.Message, r.Type, nil)
	}
	users, err := a.Store.Users(ctx, in.Actor)
	if err != nil {
		return err
	}
	var actor *cards.User
	if u, ok := users[in.Actor]; ok {
		actor = &u
	}
	if r := approvalrules.Approver(c, in.Kind, in.Actor, actor); r != nil {
		return temporal.NewNonRetryableApplicationError(r.Message, r.Type, nil)
	}
	return nil
}

func notAllowed(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), cards.ErrNotAllowed, nil)
}
