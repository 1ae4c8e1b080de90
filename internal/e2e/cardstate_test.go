package e2e

import (
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

// activeCard requests, issues and activates a card of cardType for a new
// user (or the user given) and returns its status.
func (h *harness) activeCard(cardType string, user ...string) cards.Status {
	h.t.Helper()
	var card cards.Status
	if len(user) > 0 {
		card = h.request(user[0], cardType)
	} else {
		card = h.approvedCard(cardType)
	}
	h.issue(card.ID)
	s := h.statusOf("activate", "--card", card.ID, "--operator", "olivia")
	if s.State != cards.StateActive {
		h.t.Fatalf("card %s is %s after activate", card.ID, s.State)
	}
	return s
}

// wantOCSP checks what OCSP says of every certificate of s.
func (h *harness) wantOCSP(s cards.Status, want ca.Status, why string) {
	h.t.Helper()
	for i, status := range h.ocsp(s) {
		if status != want || s.Certificates[i].Status != string(want) {
			h.t.Errorf("%s: %s certificate: OCSP %s, recorded %s; want %s", why, s.Certificates[i].Usage, status, s.Certificates[i].Status, want)
		}
	}
}

// TestDeactivateReactivateLock walks an active card through Deactivate
// (OCSP: on hold), Reactivate (good) and Lock (revoked for good, reason
// cessationOfOperation) with the real CA; a locked card is final.
func TestDeactivateReactivateLock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.activeCard("visitor")

	inactive := h.statusOf("deactivate", "--card", card.ID, "--operator", "olivia", "--comment", "on leave until March")
	if inactive.State != cards.StateInactive {
		t.Fatalf("state %s after deactivate, want inactive", inactive.State)
	}
	h.wantOCSP(inactive, ca.StatusHold, "inactive")

	active := h.statusOf("reactivate", "--card", card.ID, "--operator", "olivia")
	if active.State != cards.StateActive {
		t.Fatalf("state %s after reactivate, want active", active.State)
	}
	h.wantOCSP(active, ca.StatusGood, "reactivated")

	locked := h.statusOf("lock", "--card", card.ID, "--operator", "olivia", "--comment", "left the company")
	if locked.State != cards.StateLocked {
		t.Fatalf("state %s after lock, want locked", locked.State)
	}
	h.wantOCSP(locked, ca.StatusRevoked, "locked")
	for i, reason := range h.revocationReasons(locked) {
		if reason != ocsp.CessationOfOperation {
			t.Errorf("%s certificate: OCSP reason %d, want cessationOfOperation (%d)", locked.Certificates[i].Usage, reason, ocsp.CessationOfOperation)
		}
	}

	msg := h.refusal(3, cards.ErrInvalidState, "reactivate", "--card", card.ID, "--operator", "olivia")
	if !strings.Contains(msg, "is locked") {
		t.Errorf("refusal %q does not name the state", msg)
	}
	h.refusal(3, cards.ErrInvalidState, "lock", "--card", card.ID, "--operator", "olivia", "--comment", "again")
	trail := strings.Join(h.events(card.ID), "\n")
	for _, want := range []string{"active->inactive by olivia: on leave until March", "inactive->active by olivia", "active->locked by olivia: left the company"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, trail)
		}
	}
}

// TestLockCompromised: --compromised revokes with keyCompromise, from an
// inactive card too.
func TestLockCompromised(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.activeCard("visitor")
	h.statusOf("deactivate", "--card", card.ID, "--operator", "olivia")
	locked := h.statusOf("lock", "--card", card.ID, "--operator", "olivia", "--comment", "PIN written on the card", "--compromised")
	if locked.State != cards.StateLocked {
		t.Fatalf("state %s, want locked", locked.State)
	}
	for i, reason := range h.revocationReasons(locked) {
		if reason != ocsp.KeyCompromise {
			t.Errorf("%s certificate: OCSP reason %d, want keyCompromise (%d)", locked.Certificates[i].Usage, reason, ocsp.KeyCompromise)
		}
	}
}

// TestCardStateRefusals: each refusal names its rule and writes nothing.
func TestCardStateRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	user := h.user("active")
	first := h.activeCard("visitor", user)
	before := len(h.events(first.ID))

	msg := h.refusal(3, cards.ErrInvalidState, "reactivate", "--card", first.ID, "--operator", "olivia")
	if !strings.Contains(msg, "is active") {
		t.Errorf("refusal %q does not name the state", msg)
	}
	msg = h.refusal(3, cards.ErrNotAllowed, "deactivate", "--card", first.ID, "--operator", "mallory")
	if !strings.Contains(msg, `role "operator"`) {
		t.Errorf("refusal %q does not name the role", msg)
	}
	h.refusal(3, cards.ErrNotAllowed, "lock", "--card", first.ID, "--operator", user, "--comment", "mine")
	if r := h.starter("lock", "--card", first.ID, "--operator", "olivia"); r.code != 2 {
		t.Errorf("lock without --comment: exit %d, want 2 (usage): %s", r.code, r.stderr)
	}

	// A second active card: reactivating the first is AnotherActiveCard,
	// naming the second.
	h.statusOf("deactivate", "--card", first.ID, "--operator", "olivia")
	second := h.activeCard("visitor", user)
	msg = h.refusal(3, cards.ErrAnotherActiveCard, "reactivate", "--card", first.ID, "--operator", "olivia")
	if !strings.Contains(msg, second.ID) {
		t.Errorf("refusal %q does not name the active card %s", msg, second.ID)
	}
	h.statusOf("lock", "--card", second.ID, "--operator", "olivia", "--comment", "broken")

	// The holder left: UserNotActive.
	if r := h.starter("users", "upsert", "--id", user, "--given-name", "Given"+user, "--surname", "Surname"+user,
		"--upn", user+"@example.com", "--email", user+"@mail.example.com", "--state", "inactive"); r.code != 0 {
		t.Fatalf("users upsert: %s", r.stderr)
	}
	h.refusal(3, cards.ErrUserNotActive, "reactivate", "--card", first.ID, "--operator", "olivia")
	if c := h.card(first.ID); c.State != cards.StateInactive {
		t.Errorf("card %s after the refusals, want inactive", c.State)
	}
	if got := len(h.events(first.ID)); got != before+1 {
		t.Errorf("%d audit rows, want %d: a refusal wrote", got, before+1)
	}
	h.wantOCSP(h.statusOf("status", "--card", first.ID), ca.StatusHold, "refused reactivations")

	// An issued card cannot be deactivated or locked.
	issued := h.approvedCard("visitor")
	h.issue(issued.ID)
	h.refusal(3, cards.ErrInvalidState, "deactivate", "--card", issued.ID, "--operator", "olivia")
	h.refusal(3, cards.ErrInvalidState, "lock", "--card", issued.ID, "--operator", "olivia", "--comment", "x")
}

// TestLockWhileProducingIsBusy: a Lock while an IssueCard runs is CardBusy
// naming it (only a Deactivate or Reactivate waiting for approval is
// pre-empted).
func TestLockWhileProducingIsBusy(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.approvedCard("visitor")
	done := make(chan result, 1)
	go func() {
		done <- h.starter("issue", "--card", card.ID, "--operator", "olivia", "--station", h.stationID()+"-late")
	}()
	h.waitForOperation(card.ID)
	for _, args := range [][]string{{"lock", "--comment", "lost"}, {"deactivate"}} {
		msg := h.refusal(3, cards.ErrCardBusy, append(args, "--card", card.ID, "--operator", "olivia")...)
		if !strings.Contains(msg, "IssueCard") {
			t.Errorf("refusal %q does not name the open operation", msg)
		}
	}
	h.startStation(h.stationID() + "-late")
	if r := <-done; r.code != 0 {
		t.Fatalf("issue at the late station: exit %d: %s", r.code, r.stderr)
	}
}

// TestSelfServiceDeactivateAndLock: with selfService the holder deactivates
// and locks their own card; reactivating it stays an operator's job.
func TestSelfServiceDeactivateAndLock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction(), func(h *harness) {
		h.policyPath = writePolicy(h.t, "selfService: true\n"+testkit.ProductionPolicy)
	})
	holder := h.user("active")
	card := h.activeCard("visitor", holder)
	other := h.user("active")
	h.refusal(3, cards.ErrNotAllowed, "deactivate", "--card", card.ID, "--operator", other)
	s := h.statusOf("deactivate", "--card", card.ID, "--operator", holder, "--comment", "on holiday")
	if s.State != cards.StateInactive {
		t.Fatalf("state %s, want inactive", s.State)
	}
	msg := h.refusal(3, cards.ErrNotAllowed, "reactivate", "--card", card.ID, "--operator", holder)
	if !strings.Contains(msg, `role "operator"`) {
		t.Errorf("refusal %q does not name the role", msg)
	}
	s = h.statusOf("lock", "--card", card.ID, "--operator", holder, "--comment", "lost it on the train")
	if s.State != cards.StateLocked {
		t.Fatalf("state %s, want locked", s.State)
	}
	h.wantOCSP(s, ca.StatusRevoked, "locked by its holder")
}

// guardedPolicy adds card type guarded: no request approval, but
// Deactivate card needs one approver.
func guardedPolicy() string {
	return testkit.ProductionPolicy + `  guarded:
    approval: {required: false}
    deactivation:
      approval: {required: true, approvers: 1, timeout: 168h}
`
}

// TestLockPreemptsADeactivationWaitingForApproval: a Deactivate waiting
// for its approval keeps the card active; a Lock that would be refused
// pre-empts nothing; an allowed Lock ends the Deactivate (aborted, its
// approval closed, the reason in the audit trail) and locks the card.
func TestLockPreemptsADeactivationWaitingForApproval(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction(), func(h *harness) { h.policyPath = writePolicy(h.t, guardedPolicy()) })
	card := h.activeCard("guarded")
	r := h.starter("deactivate", "--card", card.ID, "--operator", "olivia", "--comment", "on leave", "--json")
	if r.code != 0 {
		t.Fatalf("deactivate: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	open := h.statusOf("status", "--card", card.ID)
	if open.State != cards.StateActive {
		t.Fatalf("card %s while its deactivation waits for approval, want active", open.State)
	}
	h.refusal(3, cards.ErrCardBusy, "reactivate", "--card", card.ID, "--operator", "olivia")
	h.refusal(3, cards.ErrNotAllowed, "lock", "--card", card.ID, "--operator", "mallory", "--comment", "x")
	h.refusal(3, cards.ErrCardBusy, "deactivate", "--card", card.ID, "--operator", "olivia")

	locked := h.statusOf("lock", "--card", card.ID, "--operator", "olivia", "--comment", "stolen", "--compromised")
	if locked.State != cards.StateLocked {
		t.Fatalf("state %s after the pre-empting lock, want locked", locked.State)
	}
	h.wantOCSP(locked, ca.StatusRevoked, "locked")
	trail := strings.Join(h.events(card.ID), "\n")
	for _, want := range []string{"active->active by olivia: deactivate aborted: Lock card by olivia pre-empted it", "active->locked by olivia: stolen"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, trail)
		}
	}
	if strings.Contains(trail, "active->inactive") {
		t.Errorf("the pre-empted deactivation changed the card:\n%s", trail)
	}
}
