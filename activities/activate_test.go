package activities_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
)

func (w *world) checkActivate(in activities.ActivateInput) ([]string, error) {
	w.t.Helper()
	v, err := w.env.ExecuteActivity(w.acts.CheckActivate, in)
	var serials []string
	if err == nil {
		if err := v.Get(&serials); err != nil {
			w.t.Fatal(err)
		}
	}
	return serials, err
}

// Activate card: the check refuses before any CA call, the release makes
// OCSP say good and the rows good, the transition makes the card active
// once and queues the holder's e-mail; a second card of the user is refused
// naming the first, and if it got past the check (a race), its released
// certificates go back on hold.
func TestActivateCard(t *testing.T) {
	ctx := context.Background()
	w, fca := lifecycleWorld(t, issuePolicy)
	first := w.approvedCard("ada", "standard")
	if _, err := w.checkActivate(activities.ActivateInput{CardID: first, Operator: "olivia", At: t0}); errType(err) != cards.ErrInvalidState ||
		!strings.Contains(err.Error(), "card "+first+" is approved; Activate card needs issued") {
		t.Fatalf("activation of an approved card: %v", err)
	}
	w.issue(fca, first)
	if _, err := w.checkActivate(activities.ActivateInput{CardID: first, Operator: "ada", At: t0}); errType(err) != cards.ErrNotAllowed {
		t.Fatalf("activation by a user without the role: %v", err)
	}
	calls := len(fca.calls)
	act := activities.ActivateInput{CardID: first, Operator: "olivia", At: t0.Add(24 * time.Hour)}
	serials, err := w.checkActivate(act)
	if err != nil || len(serials) != 2 || len(fca.calls) != calls {
		t.Fatalf("check: %v, %v (%d CA calls)", serials, err, len(fca.calls)-calls)
	}
	release := activities.ReleaseCertificatesInput{CardID: first, Serials: serials}
	for range 2 {
		if _, err := w.env.ExecuteActivity(w.acts.ReleaseCertificates, release); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range serials {
		if fca.statusOf(s) != ca.StatusGood {
			t.Fatalf("%s at the CA: %s, want good", s, fca.statusOf(s))
		}
	}
	for range 2 {
		if st, err := w.state(w.acts.Activate, act); err != nil || st != cards.StateActive {
			t.Fatalf("activate: %s, %v", st, err)
		}
	}
	recorded, _ := w.store.Certificates(ctx, first)
	for _, c := range recorded {
		if c.Status != ca.StatusGood {
			t.Fatalf("recorded %+v, want good", c)
		}
	}
	mail, ok := w.queuedInput(first, activities.NotifyActivated)
	if !ok || mail.UserID != "ada" || mail.Decision == nil || mail.Decision.To != cards.StateActive || mail.CardNumber == "" {
		t.Fatalf("activated e-mail: %+v (found %v)", mail, ok)
	}
	if ev := w.events(first); ev[len(ev)-1].Transition != "activate" || ev[len(ev)-1].FromState.String != "issued" {
		t.Fatalf("audit trail ends %+v", ev[len(ev)-1])
	}

	// A second standard card of ada's: refused by the check, naming the
	// active one ...
	second := w.approvedCard("ada", "standard")
	w.issue(fca, second)
	_, err = w.checkActivate(activities.ActivateInput{CardID: second, Operator: "olivia", At: t0})
	if errType(err) != cards.ErrAnotherActiveCard || !nonRetryable(err) || !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), "multipleActive: false") {
		t.Fatalf("second active card: %v", err)
	}
	// ... and by the transition when it got past the check; HoldAgain
	// then puts its released certificates back on hold.
	recorded, _ = w.store.Certificates(ctx, second)
	again := activities.ReleaseCertificatesInput{CardID: second, Serials: []string{recorded[0].Serial, recorded[1].Serial}}
	if _, err := w.env.ExecuteActivity(w.acts.ReleaseCertificates, again); err != nil {
		t.Fatal(err)
	}
	if _, err := w.state(w.acts.Activate, activities.ActivateInput{CardID: second, Operator: "olivia", At: t0}); errType(err) != cards.ErrAnotherActiveCard ||
		!strings.Contains(err.Error(), first) {
		t.Fatalf("second activation's transition: %v", err)
	}
	if _, err := w.env.ExecuteActivity(w.acts.HoldAgain, again); err != nil {
		t.Fatal(err)
	}
	for _, s := range again.Serials {
		if fca.statusOf(s) != ca.StatusHold {
			t.Fatalf("%s after HoldAgain: %s", s, fca.statusOf(s))
		}
	}
	if c, _ := w.store.Card(ctx, second); c.State != cards.StateIssued {
		t.Fatalf("second card %s, want issued", c.State)
	}

	// Visitor cards allow several active ones.
	for _, id := range []string{w.approvedCard("ada", "visitor"), w.approvedCard("ada", "visitor")} {
		w.issue(fca, id)
		serials, err := w.checkActivate(activities.ActivateInput{CardID: id, Operator: "olivia", At: t0})
		if err != nil || len(serials) != 1 {
			t.Fatalf("visitor check: %v, %v", serials, err)
		}
		if st, err := w.state(w.acts.Activate, activities.ActivateInput{CardID: id, Operator: "olivia", At: t0}); err != nil || st != cards.StateActive {
			t.Fatalf("visitor activation: %s, %v", st, err)
		}
	}
}

// A certificate revoked for good is never released: a non-retryable
// refusal, not a retry loop.
func TestReleaseOfARevokedCertificateIsRefused(t *testing.T) {
	w, fca := lifecycleWorld(t, issuePolicy)
	id := w.approvedCard("ada", "standard")
	w.issue(fca, id)
	recorded, _ := w.store.Certificates(context.Background(), id)
	if err := fca.Revoke(context.Background(), recorded[0].Serial, ca.KeyCompromise); err != nil {
		t.Fatal(err)
	}
	_, err := w.env.ExecuteActivity(w.acts.ReleaseCertificates, activities.ReleaseCertificatesInput{CardID: id, Serials: []string{recorded[0].Serial}})
	if errType(err) != activities.ErrCertificateRefused || !nonRetryable(err) || !strings.Contains(err.Error(), "revoked for good") {
		t.Fatalf("release of a revoked certificate: %v", err)
	}
}
