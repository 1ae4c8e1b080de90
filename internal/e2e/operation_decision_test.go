package e2e

import (
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/cardstate"
)

// pairedPolicy is guardedPolicy with card type paired, whose Deactivate
// card needs two approvers.
func pairedPolicy() string {
	return guardedPolicy() + `  paired:
    approval: {required: false}
    deactivation:
      approval: {required: true, approvers: 2, timeout: 168h}
`
}

// deactivationWaiting makes an active card of cardType whose deactivation
// waits for approval.
func (h *harness) deactivationWaiting(cardType string) cards.Status {
	h.t.Helper()
	card := h.activeCard(cardType)
	if r := h.starter("deactivate", "--card", card.ID, "--operator", "olivia", "--comment", "on leave", "--json"); r.code != 0 {
		h.t.Fatalf("deactivate: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	return card
}

// wantCard checks that a decision command printed the whole card (not the
// approval's short status): its holder, type and state.
func wantCard(t *testing.T, what string, got, card cards.Status, state cards.State) {
	t.Helper()
	if got.ID != card.ID || got.UserID != card.UserID || got.UserID == "" || got.CardType != card.CardType || got.CardType == "" ||
		got.CommonName == "" || got.State != state || got.CardNumber == "" || len(got.Certificates) == 0 {
		t.Fatalf("%s printed %+v, want card %s of %s (%s), %s", what, got, card.ID, card.UserID, card.CardType, state)
	}
}

// `starter approve|reject|postpone --card` on an operation's approval
// prints the card as it is after the step, as `starter status` does: a
// deciding approve or reject follows the operation to its end (inactive,
// certificates on hold; or still active, with the rejection in the
// headline); a postponement or an approval short of the count prints the
// card with its open approval, the operation still waiting.
func TestOperationDecisionsPrintTheCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction(), func(h *harness) { h.policyPath = writePolicy(h.t, pairedPolicy()) })

	// Postpone (text, then --json), then the deciding approve (--json).
	card := h.deactivationWaiting("guarded")
	r := h.starter("postpone", "--card", card.ID, "--approver", "alice", "--comment", "call the holder first")
	if r.code != 0 {
		t.Fatalf("postpone: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Postponed by alice: the approval stays in your Inbox; nothing else changed.\n",
		"  user:        " + card.UserID + " (guarded card)\n",
		"  state:       active\n",
		"  operation:   DeactivateCard: waiting for approval\n",
		"  approval:    deactivation, 0 of 1; requested by olivia",
		"  postponed:   by alice at ",
		": call the holder first\n",
		"Next: starter approve --card " + card.ID,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("postpone's text lacks %q:\n%s", want, r.stdout)
		}
	}
	s := h.statusOf("postpone", "--card", card.ID, "--approver", "bernard", "--comment", "me too")
	wantCard(t, "postpone --json", s, card, cards.StateActive)
	if s.Operation == nil || s.Operation.Type != cardstate.DeactivateType || s.Approval == nil || s.Approval.Operation != "deactivation" ||
		len(s.Approval.Postponed) != 2 {
		t.Fatalf("postpone --json: operation %+v, approval %+v", s.Operation, s.Approval)
	}
	s = h.statusOf("approve", "--card", card.ID, "--approver", "alice", "--comment", "holder agrees")
	wantCard(t, "approve --json", s, card, cards.StateInactive)
	if s.Operation != nil || s.Approval != nil {
		t.Fatalf("approve --json: the deactivation is over, yet operation %+v, approval %+v", s.Operation, s.Approval)
	}
	h.wantOCSP(s, ca.StatusHold, "approved deactivation")

	// The deciding approve in text.
	card = h.deactivationWaiting("guarded")
	r = h.starter("approve", "--card", card.ID, "--approver", "alice")
	if r.code != 0 {
		t.Fatalf("approve: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"Card " + card.ID + " is inactive.\n", "  state:       inactive\n", "  certificate: authentication hold", "  certificate: signing        hold"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("approve's text lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "operation:") || strings.Contains(r.stdout, "approval:") {
		t.Errorf("approve's text shows an operation or approval still open:\n%s", r.stdout)
	}

	// Reject (text): the card stays active, the headline says why.
	card = h.deactivationWaiting("guarded")
	r = h.starter("reject", "--card", card.ID, "--approver", "alice", "--comment", "still needed")
	if r.code != 0 {
		t.Fatalf("reject: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	headline := "The deactivation of card " + card.ID + " was rejected by alice: still needed; the card stays active.\n"
	for _, want := range []string{headline, "  user:        " + card.UserID + " (guarded card)\n", "  state:       active\n", "  certificate: authentication good"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("reject's text lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.HasPrefix(r.stdout, headline) || strings.Contains(r.stdout, "operation:") || strings.Contains(r.stdout, "approval:") {
		t.Errorf("reject's text:\n%s", r.stdout)
	}
	if c := h.card(card.ID); c.State != cards.StateActive {
		t.Fatalf("card %s after the rejected deactivation, want active", c.State)
	}

	// Two approvers: the first approval changes nothing else; a reject
	// (--json) then ends the deactivation.
	card = h.deactivationWaiting("paired")
	r = h.starter("approve", "--card", card.ID, "--approver", "alice", "--comment", "fine by me")
	if r.code != 0 {
		t.Fatalf("approve 1 of 2: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"Approval by alice recorded: 1 of 2; the deactivation still waits for approval.\n",
		"  state:       active\n",
		"  operation:   DeactivateCard: waiting for approval\n",
		"  approval:    deactivation, 1 of 2 (alice)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("approve 1 of 2's text lacks %q:\n%s", want, r.stdout)
		}
	}
	s = h.statusOf("reject", "--card", card.ID, "--approver", "bernard", "--comment", "not yet")
	wantCard(t, "reject --json", s, card, cards.StateActive)
	if s.Operation != nil || s.Approval != nil {
		t.Fatalf("reject --json: the deactivation is over, yet operation %+v, approval %+v", s.Operation, s.Approval)
	}
	h.wantOCSP(s, ca.StatusGood, "rejected deactivation")
	trail := strings.Join(h.events(card.ID), "\n")
	for _, want := range []string{"active->active by alice: fine by me", "active->active by bernard: not yet"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, trail)
		}
	}
	if strings.Contains(trail, "active->inactive") {
		t.Errorf("the rejected deactivation changed the card:\n%s", trail)
	}
}
