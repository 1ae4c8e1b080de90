package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/pinletter"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/testkit"
)

// TestIssueAndActivate is the Issue card walkthrough with the real parts:
// the starter, the worker, a print station, CFSSL and PostgreSQL. The card
// gets a valid number, is printed and encoded, its certificates are on
// hold (OCSP says so) until Activate makes them good, and the PIN letter
// is written apart from the card.
func TestIssueAndActivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.approvedCard("visitor")

	issued := h.issue(card.ID)
	if issued.State != cards.StateIssued {
		t.Fatalf("state %s, want issued", issued.State)
	}
	if !cardnumber.Valid(issued.CardNumber) || !strings.HasPrefix(issued.CardNumber, "C") {
		t.Errorf("card number %q is not a valid C number", issued.CardNumber)
	}
	if issued.ValidUntil == nil || time.Until(*issued.ValidUntil) < 8750*time.Hour || time.Until(*issued.ValidUntil) > 8761*time.Hour {
		t.Errorf("valid until %v, want a year ahead (visitor validity 8760h)", issued.ValidUntil)
	}
	if len(issued.Certificates) != 2 {
		t.Fatalf("certificates %+v, want authentication and signing", issued.Certificates)
	}
	for i, status := range h.ocsp(issued) {
		if status != ca.StatusHold || issued.Certificates[i].Status != string(ca.StatusHold) {
			t.Errorf("%s certificate: OCSP %s, recorded %s; want hold while issued", issued.Certificates[i].Usage, status, issued.Certificates[i].Status)
		}
	}
	dir := filepath.Join(h.prod.station.Output, card.ID)
	for _, name := range []string{"card.pdf", "front.png", "back.png", station.ChipName} {
		if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Size() == 0 {
			t.Errorf("station file %s: %v", name, err)
		}
	}
	chip, err := os.ReadFile(filepath.Join(dir, station.ChipName))
	if err != nil || !strings.Contains(string(chip), issued.CardNumber) {
		t.Errorf("chip.json does not name the card number %s: %v", issued.CardNumber, err)
	}
	if _, err := os.Stat(pinletter.Path(h.prod.pinLetters, card.ID)); err != nil {
		t.Errorf("no PIN letter: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, pinletter.FileName)); err == nil {
		t.Error("the PIN letter is in the station's folder: card and PIN must travel apart")
	}

	active := h.statusOf("activate", "--card", card.ID, "--operator", "olivia")
	if active.State != cards.StateActive {
		t.Fatalf("state %s after activate, want active", active.State)
	}
	for i, status := range h.ocsp(active) {
		if status != ca.StatusGood || active.Certificates[i].Status != string(ca.StatusGood) {
			t.Errorf("%s certificate: OCSP %s, recorded %s; want good while active", active.Certificates[i].Usage, status, active.Certificates[i].Status)
		}
	}
	if got := h.events(card.ID); !strings.Contains(strings.Join(got, "\n"), "issued->active by olivia") {
		t.Errorf("audit trail lacks the activation:\n%s", strings.Join(got, "\n"))
	}
}

// TestASecondActiveCardIsRefused: with multipleActive false, activating a
// user's second card of a type is refused naming the first, and the
// second card's certificates stay on hold.
func TestASecondActiveCardIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	user := h.user("active")
	first := h.request(user, "visitor")
	h.issue(first.ID)
	h.statusOf("activate", "--card", first.ID, "--operator", "olivia")
	second := h.request(user, "visitor")
	issued := h.issue(second.ID)

	msg := h.refusal(3, cards.ErrAnotherActiveCard, "activate", "--card", second.ID, "--operator", "olivia")
	if !strings.Contains(msg, first.ID) {
		t.Errorf("refusal %q does not name the active card %s", msg, first.ID)
	}
	if got := h.card(second.ID).State; got != cards.StateIssued {
		t.Errorf("second card is %s after the refusal, want issued", got)
	}
	for _, status := range h.ocsp(issued) {
		if status != ca.StatusHold {
			t.Errorf("second card's certificate is %s, want hold", status)
		}
	}
}

// TestIssueRefusesTheWrongState: a requested card cannot be issued, and
// the refusal names its state; nothing is written.
func TestIssueRefusesTheWrongState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.request(h.user("active"), "standard")
	msg := h.refusal(3, cards.ErrInvalidState, "issue", "--card", card.ID, "--operator", "olivia", "--station", h.prod.station.ID)
	if !strings.Contains(msg, "requested") {
		t.Errorf("refusal %q does not name the state", msg)
	}
	if c := h.card(card.ID); c.CardNumber != "" || c.ProductionGeneration != 0 {
		t.Errorf("a refused issue wrote the card: number %q, generation %d", c.CardNumber, c.ProductionGeneration)
	}
	h.refusal(3, cards.ErrInvalidState, "activate", "--card", card.ID, "--operator", "olivia")
	h.refusal(3, cards.ErrNotAllowed, "issue", "--card", h.approvedCard("visitor").ID, "--operator", "mallory", "--station", h.prod.station.ID)
}

// TestFailedProductionIsRepeatedOrCancelled: a station that never takes
// the job fails the card naming it; Repeat production at a running station
// issues it with the same number; a cancelled production is final.
func TestFailedProductionIsRepeatedOrCancelled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.approvedCard("quick")

	r := h.starter("issue", "--card", card.ID, "--operator", "olivia", "--station", "nowhere", "--json")
	if r.code != 0 {
		t.Fatalf("issue at a missing station: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	failed := h.card(card.ID)
	if failed.State != cards.StateFailed {
		t.Fatalf("state %s, want failed", failed.State)
	}
	if s := h.statusOf("status", "--card", card.ID); !strings.Contains(s.FailureReason, "print station nowhere") {
		t.Errorf("status failureReason %q does not say which station failed", s.FailureReason)
	}
	if trail := strings.Join(h.events(card.ID), "\n"); !strings.Contains(trail, "print station nowhere did not take the job within 3s") {
		t.Errorf("audit trail does not say which station failed:\n%s", trail)
	}

	repeated := h.statusOf("issue", "repeat", "--card", card.ID, "--operator", "olivia", "--station", h.prod.station.ID)
	if repeated.State != cards.StateIssued || repeated.CardNumber != failed.CardNumber {
		t.Fatalf("repeat: state %s number %s, want issued with the first number %s", repeated.State, repeated.CardNumber, failed.CardNumber)
	}
	if got := h.card(card.ID).ProductionGeneration; got != 2 {
		t.Errorf("generation %d after one repeat, want 2", got)
	}

	other := h.approvedCard("quick")
	h.starter("issue", "--card", other.ID, "--operator", "olivia", "--station", "nowhere")
	h.statusOf("issue", "cancel", "--card", other.ID, "--operator", "olivia", "--comment", "card stock damaged")
	h.refusal(3, cards.ErrInvalidState, "issue", "repeat", "--card", other.ID, "--operator", "olivia", "--station", h.prod.station.ID)
	if got := h.card(other.ID); got.State != cards.StateFailed || !got.ProductionCancelled {
		t.Errorf("cancelled card: state %s cancelled %v", got.State, got.ProductionCancelled)
	}
}

// TestABusyCardRefusesASecondOperation: while a production waits for its
// station, a second operation on the card is refused naming IssueCard.
func TestABusyCardRefusesASecondOperation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.approvedCard("visitor")
	done := make(chan result, 1)
	go func() {
		done <- h.starter("issue", "--card", card.ID, "--operator", "olivia", "--station", h.stationID()+"-late")
	}()
	h.waitForOperation(card.ID)
	msg := h.refusal(3, cards.ErrCardBusy, "activate", "--card", card.ID, "--operator", "olivia")
	if !strings.Contains(msg, "IssueCard") {
		t.Errorf("refusal %q does not name the open operation", msg)
	}
	h.refusal(3, cards.ErrCardBusy, "issue", "--card", card.ID, "--operator", "olivia", "--station", h.prod.station.ID)
	h.startStation(h.stationID() + "-late")
	if r := <-done; r.code != 0 {
		t.Fatalf("issue at the late station: exit %d: %s", r.code, r.stderr)
	}
	if got := h.card(card.ID).State; got != cards.StateIssued {
		t.Errorf("state %s, want issued once the station came", got)
	}
}

// TestIssueForAUserWithoutRequestCard: with requestCard disabled, Issue
// card for a user creates the card in registered, maps it like Request
// card, and produces it; with requestCard enabled the same command is
// refused, saying to request the card first.
func TestIssueForAUserWithoutRequestCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction(), func(h *harness) {
		h.policyPath = writePolicy(h.t, strings.Replace(testkit.ProductionPolicy, "requestCard: true", "requestCard: false", 1))
	})
	user := h.user("active")
	s := h.statusOf("issue", "--user", user, "--card-type", "visitor", "--operator", "olivia", "--station", h.prod.station.ID)
	if s.State != cards.StateIssued || s.UserID != user || s.CommonName != "Given"+user+" Surname"+user {
		t.Fatalf("issued for a user: state %s user %s common name %q", s.State, s.UserID, s.CommonName)
	}
	if trail := strings.Join(h.events(s.ID), "\n"); !strings.HasPrefix(trail, "->registered by olivia") || !strings.Contains(trail, "registered->issued") {
		t.Errorf("audit trail does not go through registered:\n%s", trail)
	}
	h.refusal(3, cards.ErrUseCaseDisabled, "request", "--user", user, "--operator", "olivia")

	other := newHarness(t, withProduction())
	other.refusal(3, cards.ErrUseCaseDisabled, "issue", "--user", other.user("active"), "--operator", "olivia", "--station", other.prod.station.ID)
}
