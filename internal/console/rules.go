package console

import (
	"slices"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
)

// The console shows people only what they may do; the workflow checks the
// same rules again against the directory when the decision arrives, so these
// functions decide what to offer, never what is allowed.

// approverRole is the role that may decide cards of cardType under the
// console's policy; a card type the policy no longer knows falls back to the
// default, which the workflow recorded when the request was made.
func approverRole(p *policy.Policy, cardType string) string {
	if r, err := p.Resolve(cardType); err == nil && r.ApproverRole != "" {
		return r.ApproverRole
	}
	return policy.DefaultApproverRole
}

// decisionBar says why u may not approve or reject card, or "" when u may:
// an active user holding the card type's approver role, neither its
// requester nor the person it is for, who has not approved it yet.
func decisionBar(p *policy.Policy, u cards.User, card store.Card, approvals []cards.Approval) string {
	role := approverRole(p, card.CardType)
	switch {
	case card.State != cards.StateRequested:
		return "This card is " + string(card.State) + "; it needs no decision."
	case !u.Active():
		return "Only active directory users may decide."
	case card.RequestedBy == u.ID:
		return "You requested this card, so another approver must decide it. You may cancel the request."
	case card.UserID == u.ID:
		return "This card is for you, so someone else must decide it."
	case !u.HasRole(role):
		return "Deciding " + card.CardType + " cards needs the directory role “" + role + "”, which you do not hold."
	case slices.ContainsFunc(approvals, func(a cards.Approval) bool { return a.Actor == u.ID }):
		return "You approved this card already; it waits for another approver."
	}
	return ""
}

// mayCancel reports whether u may withdraw card: only its requester, while
// it waits.
func mayCancel(u cards.User, card store.Card) bool {
	return card.State == cards.StateRequested && card.RequestedBy == u.ID
}

// inboxCandidate is the cheap part of decisionBar, checked before the
// approvals (which live in the workflow) are fetched.
func inboxCandidate(p *policy.Policy, u cards.User, card store.Card) bool {
	return decisionBar(p, u, card, nil) == ""
}

// mayRequest reports whether u may use the Request card page at all:
// holders of the requester role, and everyone active under self-service.
func mayRequest(p *policy.Policy, u cards.User) bool {
	return u.Active() && (u.HasRole(p.RequesterRole) || p.SelfService)
}
