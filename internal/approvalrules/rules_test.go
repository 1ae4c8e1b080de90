package approvalrules

import (
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
)

func TestEachRule(t *testing.T) {
	c := Case{Operation: "deactivation", RequestedBy: "olivia", HolderID: "henry", CardType: "standard", ApproverRole: "approver", Approved: []string{"alice"}}
	alice := cards.User{ID: "alice", State: "active", Roles: []string{"approver"}}
	bob := cards.User{ID: "bob", State: "active", Roles: []string{"approver"}}
	idle := cards.User{ID: "ivy", State: "inactive", Roles: []string{"approver"}}
	plain := cards.User{ID: "pat", State: "active"}
	for _, tc := range []struct {
		name    string
		refusal *Refusal
		rule    Rule
	}{
		{"no actor", Vote(c, Approve, " ", ""), RuleActor},
		{"unknown kind", Vote(c, "maybe", "bob", ""), RuleKind},
		{"requester", Vote(c, Approve, "olivia", ""), RuleRequester},
		{"holder", Vote(c, Postpone, "henry", ""), RuleHolder},
		{"twice", Vote(c, Approve, "alice", ""), RuleAlreadyApproved},
		{"no reason", Vote(c, Reject, "bob", "  "), RuleReason},
		{"not in the directory", Approver(c, Approve, "nobody", nil), RuleUnknownUser},
		{"inactive", MayDecide(c, Approve, idle), RuleInactive},
		{"no role", MayDecide(c, Approve, plain), RuleRole},
		{"approved already, console", MayDecide(c, Approve, alice), RuleAlreadyApproved},
	} {
		if tc.refusal == nil || tc.refusal.Rule != tc.rule {
			t.Errorf("%s: got %v, want rule %s", tc.name, tc.refusal, tc.rule)
		}
	}
	if r := MayDecide(c, Approve, bob); r != nil {
		t.Errorf("bob may approve: %v", r)
	}
	if r := MayDecide(c, Postpone, alice); r != nil {
		t.Errorf("alice may postpone after approving: %v", r)
	}
	if r := Vote(c, Reject, "bob", "lost twice"); r != nil {
		t.Errorf("a rejection with a reason: %v", r)
	}
	if !MayBeAsked(c, bob) || MayBeAsked(c, alice) || MayBeAsked(c, plain) {
		t.Error("MayBeAsked: bob yes, alice (acted) and pat (no role) no")
	}
	if got := Vote(Case{Operation: "request", RequestedBy: "olivia"}, Approve, "olivia", "").Message; got != "olivia requested this card and cannot approve it" {
		t.Errorf("request wording: %q", got)
	}
}
