package console

import (
	"github.com/cardflow/cardflow/internal/approvalrules"
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
// the one rule set (internal/approvalrules) over the card's open approval
// (open, the approvals row; nil for a request of a version-2 workflow,
// which has none: then the card and approvals read from the workflow).
func decisionBar(p *policy.Policy, u cards.User, card store.Card, approvals []cards.Approval, open *store.Approval) string {
	c := approvalrules.Case{Operation: "request", RequestedBy: card.RequestedBy, HolderID: card.UserID, CardType: card.CardType,
		ApproverRole: approverRole(p, card.CardType)}
	for _, a := range approvals {
		c.Approved = append(c.Approved, a.Actor)
	}
	if open != nil && open.RunID != store.BackfilledRunID {
		// A backfilled row (a version-2 request) guesses the role and
		// knows no approvals: the policy and the workflow's status say.
		c = approvalrules.Case{Operation: open.Operation, RequestedBy: open.RequestedBy, HolderID: open.HolderID, CardType: open.CardType,
			ApproverRole: open.ApproverRole, Approved: open.ApprovedBy}
	} else if card.State != cards.StateRequested {
		return "This card is " + string(card.State) + "; it needs no decision."
	}
	r := approvalrules.MayDecide(c, approvalrules.Approve, u)
	if r == nil {
		return ""
	}
	what := "this card"
	if c.Operation != "request" {
		what = "this " + c.Operation
	}
	switch r.Rule {
	case approvalrules.RuleInactive:
		return "Only active directory users may decide."
	case approvalrules.RuleRequester:
		if c.Operation == "request" {
			return "You requested this card, so another approver must decide it. You may cancel the request."
		}
		return "You requested " + what + ", so another approver must decide it."
	case approvalrules.RuleHolder:
		return "This card is for you, so someone else must decide it."
	case approvalrules.RuleRole:
		return "Deciding " + c.CardType + " cards needs the directory role “" + c.ApproverRole + "”, which you do not hold."
	case approvalrules.RuleAlreadyApproved:
		return "You approved " + what + " already; it waits for another approver."
	}
	return r.Message
}

// mayCancel reports whether u may withdraw card: only its requester, while
// it waits.
func mayCancel(u cards.User, card store.Card) bool {
	return card.State == cards.StateRequested && card.RequestedBy == u.ID
}

// mayRequest reports whether u may use the Request card page at all:
// holders of the requester role, and everyone active under self-service.
func mayRequest(p *policy.Policy, u cards.User) bool {
	return u.Active() && (u.HasRole(p.RequesterRole) || p.SelfService)
}
