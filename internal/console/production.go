package console

import (
	"slices"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/activatecard"
	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

// offer is which of the card's operations the card page shows the
// signed-in person: like decisionBar, it decides what to offer, never what
// is allowed; the operation's workflow checks the same rules again.
type offer struct {
	Issue, Repeat, CancelProduction, Activate bool
	Deactivate, Reactivate, Lock              bool
}

// Any says the page has at least one operation to show.
func (o offer) Any() bool {
	return o.Issue || o.Repeat || o.CancelProduction || o.Activate || o.Deactivate || o.Reactivate || o.Lock
}

// operationsOffered is the rule of Issue card, Repeat production, Cancel
// production and Activate card (LIFECYCLE.md): an active user holding the
// policy's requesterRole, with no operation open on the card, and the state
// each needs. Issue, Repeat and Cancel need useCases.issueCard; Activate
// does not (the workflow activates an issued card whatever the use case
// says now). A failed card whose production was cancelled is final.
func operationsOffered(p *policy.Policy, u cards.User, card store.Card, open *lane.Status) offer {
	if !u.Active() {
		return offer{}
	}
	if !u.HasRole(p.RequesterRole) || open != nil {
		return stateOperationsOffered(p, u, card, open)
	}
	issue := p.UseCases.IssueCard
	failed := card.State == cards.StateFailed && !card.ProductionCancelled
	return offer{
		Issue:            issue && (card.State == cards.StateApproved || card.State == cards.StateRegistered),
		Repeat:           issue && failed,
		CancelProduction: issue && failed,
		Activate:         card.State == cards.StateIssued,
		Deactivate:       card.State == cards.StateActive,
		Reactivate:       card.State == cards.StateInactive,
		Lock:             card.State == cards.StateActive || card.State == cards.StateInactive,
	}
}

// stateOperationsOffered is the rule of Deactivate, Reactivate and Lock
// card for the cases operationsOffered does not cover: with selfService the
// card's own (active) holder is offered Deactivate and Lock of their card;
// and while a Deactivate or Reactivate waits for approval only Lock is
// offered, which ends it (an IssueCard or ActivateCard open offers nothing).
func stateOperationsOffered(p *policy.Policy, u cards.User, card store.Card, open *lane.Status) offer {
	requester := u.HasRole(p.RequesterRole)
	holder := p.SelfService && u.ID == card.UserID
	if !requester && !holder {
		return offer{}
	}
	lockable := card.State == cards.StateActive || card.State == cards.StateInactive
	if open != nil {
		preemptible := open.Type == cardstate.DeactivateType || open.Type == cardstate.ReactivateType
		return offer{Lock: lockable && preemptible && open.AwaitingApproval}
	}
	return offer{Deactivate: card.State == cards.StateActive, Lock: lockable}
}

// produced reports whether a card in state s has been through a print
// station successfully, so that its front and back exist.
func produced(s cards.State) bool {
	return slices.Contains([]cards.State{cards.StateIssued, cards.StateActive, cards.StateInactive, cards.StateLocked, cards.StateExpired}, s)
}

// failReason is the reason of the card's latest failed production: the
// comment of its audit trail's latest "fail" row.
func failReason(events []store.Event) string {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Transition == eventFail {
			return events[i].Comment
		}
	}
	return ""
}

// knownStations are the print stations the policy names (each card type's
// production.station), offered as suggestions on the Issue and Repeat
// forms; an operator may type another.
func knownStations(p *policy.Policy) []string {
	var stations []string
	for _, name := range p.CardTypeNames() {
		if pr, err := p.ResolveProduction(name); err == nil && !slices.Contains(stations, pr.Station) {
			stations = append(stations, pr.Station)
		}
	}
	slices.Sort(stations)
	return stations
}

// certificateMeaning says, for people, what a certificate's status means.
var certificateMeaning = map[string]string{
	"hold":    "on hold: suspended until the card is activated (or while it is inactive); nothing it signs is trusted",
	"good":    "valid: the card is active and relying parties accept it",
	"revoked": "revoked for good: the card was locked, or its production failed part-way",
}

// eventFail is the audit trail's name of a failed production
// (activities.EventFail; the console does not import the worker's code).
const eventFail = "fail"

// operationName is how the card page names an operation's workflow type.
func operationName(workflowType string) string {
	switch workflowType {
	case issuecard.WorkflowType:
		return "Issue card"
	case activatecard.WorkflowType:
		return "Activate card"
	case cardstate.DeactivateType:
		return "Deactivate card"
	case cardstate.ReactivateType:
		return "Reactivate card"
	case cardstate.LockType:
		return "Lock card"
	}
	return workflowType
}
