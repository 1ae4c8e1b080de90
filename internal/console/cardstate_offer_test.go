package console

import (
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

// The card page offers Deactivate, Reactivate and Lock card by the rules
// the workflow checks again: the state, requesterRole, and with
// selfService the card's holder for Deactivate and Lock; while a
// Deactivate or Reactivate waits for approval, Lock only.
func TestStateOperationsOffered(t *testing.T) {
	operator := cards.User{ID: "olivia", State: cards.ActiveUserState, Roles: []string{"operator"}}
	holder := cards.User{ID: "carol", State: cards.ActiveUserState}
	other := cards.User{ID: "dave", State: cards.ActiveUserState}
	left := cards.User{ID: "olivia", State: "inactive", Roles: []string{"operator"}}
	card := func(s cards.State) store.Card { return store.Card{ID: "c1", UserID: "carol", State: s} }
	strict := &policy.Policy{RequesterRole: "operator"}
	self := &policy.Policy{RequesterRole: "operator", SelfService: true}
	waiting := &lane.Status{Type: cardstate.DeactivateType, AwaitingApproval: true}
	holding := &lane.Status{Type: cardstate.DeactivateType, Step: "putting the certificates on hold"}
	producing := &lane.Status{Type: issuecard.WorkflowType}
	for _, c := range []struct {
		name string
		p    *policy.Policy
		u    cards.User
		card store.Card
		open *lane.Status
		want offer
	}{
		{"operator, active card", strict, operator, card(cards.StateActive), nil, offer{Deactivate: true, Lock: true}},
		{"operator, inactive card", strict, operator, card(cards.StateInactive), nil, offer{Reactivate: true, Lock: true}},
		{"operator, locked card", strict, operator, card(cards.StateLocked), nil, offer{}},
		{"operator no longer active", strict, left, card(cards.StateActive), nil, offer{}},
		{"holder without selfService", strict, holder, card(cards.StateActive), nil, offer{}},
		{"holder with selfService", self, holder, card(cards.StateActive), nil, offer{Deactivate: true, Lock: true}},
		{"holder with selfService, inactive card: no reactivate", self, holder, card(cards.StateInactive), nil, offer{Lock: true}},
		{"someone else with selfService", self, other, card(cards.StateActive), nil, offer{}},
		{"deactivation waiting for approval: lock only", strict, operator, card(cards.StateActive), waiting, offer{Lock: true}},
		{"holder, deactivation waiting: lock only", self, holder, card(cards.StateActive), waiting, offer{Lock: true}},
		{"deactivation past its approval: nothing", strict, operator, card(cards.StateActive), holding, offer{}},
		{"production open: nothing", strict, operator, card(cards.StateActive), producing, offer{}},
	} {
		if got := operationsOffered(c.p, c.u, c.card, c.open); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
