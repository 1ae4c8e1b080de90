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

// cardStatePolicy is issuePolicy with a lock approval on standard cards.
var cardStatePolicy = strings.Replace(issuePolicy, "    validity: 8760h\n",
	"    validity: 8760h\n    lock:\n      approval: {required: true, approvers: 2, approverRole: security}\n", 1)

func (w *world) plan(in activities.OperationInput) (activities.OperationPlan, error) {
	w.t.Helper()
	v, err := w.env.ExecuteActivity(w.acts.CheckOperation, in)
	var p activities.OperationPlan
	if err == nil {
		if err := v.Get(&p); err != nil {
			w.t.Fatal(err)
		}
	}
	return p, err
}

// activeCard issues and activates a card of user.
func (w *world) activeCard(fca *fakeCA, user, cardType string) string {
	w.t.Helper()
	id := w.approvedCard(user, cardType)
	w.issue(fca, id)
	recorded, _ := w.store.Certificates(context.Background(), id)
	var serials []string
	for _, c := range recorded {
		serials = append(serials, c.Serial)
	}
	if _, err := w.env.ExecuteActivity(w.acts.ReleaseCertificates, activities.ReleaseCertificatesInput{CardID: id, Serials: serials}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.state(w.acts.Activate, activities.ActivateInput{CardID: id, Operator: "olivia", At: t0}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) transition(kind, cardID, operator, comment, run string) (cards.State, error) {
	w.t.Helper()
	return w.state(w.acts.Transition, activities.TransitionInput{OperationInput: activities.OperationInput{
		Kind: kind, CardID: cardID, Operator: operator, Comment: comment, At: t0.Add(time.Hour)}, RunID: run})
}

// Deactivate, Reactivate and Lock: each check refuses before anything is
// written; the CA's steps and the transitions apply once however often
// they run; the holder's e-mails are queued for Reactivate and Lock, not
// for Deactivate; a locked card is final.
func TestDeactivateReactivateLock(t *testing.T) {
	ctx := context.Background()
	w, fca := lifecycleWorld(t, cardStatePolicy)
	id := w.activeCard(fca, "ada", "standard")

	_, err := w.plan(activities.OperationInput{Kind: activities.KindDeactivate, CardID: id, Operator: "ada", At: t0})
	if errType(err) != cards.ErrNotAllowed || !strings.Contains(err.Error(), `role "operator"`) {
		t.Fatalf("deactivation by the holder without selfService: %v", err)
	}
	_, err = w.plan(activities.OperationInput{Kind: activities.KindReactivate, CardID: id, Operator: "olivia", At: t0})
	if errType(err) != cards.ErrInvalidState || !strings.Contains(err.Error(), "card "+id+" is active; Reactivate card needs inactive") {
		t.Fatalf("reactivation of an active card: %v", err)
	}
	calls := len(fca.calls)
	p, err := w.plan(activities.OperationInput{Kind: activities.KindDeactivate, CardID: id, Operator: "olivia", At: t0})
	if err != nil || len(p.Serials) != 2 || p.From != cards.StateActive || p.UserID != "ada" || p.Approval.Required || len(fca.calls) != calls {
		t.Fatalf("deactivation plan %+v, %v (%d CA calls)", p, err, len(fca.calls)-calls)
	}

	certs := activities.ReleaseCertificatesInput{CardID: id, Serials: p.Serials}
	if _, err := w.env.ExecuteActivity(w.acts.HoldAgain, certs); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if st, err := w.transition(activities.KindDeactivate, id, "olivia", "on leave", "run-d1"); err != nil || st != cards.StateInactive {
			t.Fatalf("deactivate: %s, %v", st, err)
		}
	}
	for _, s := range p.Serials {
		if fca.statusOf(s) != ca.StatusHold {
			t.Fatalf("%s while inactive: %s", s, fca.statusOf(s))
		}
	}
	if _, queued := w.queuedInput(id, "deactivated"); queued {
		t.Fatal("a deactivation e-mail was queued")
	}
	if ev := w.events(id); ev[len(ev)-1].Transition != "deactivate" || ev[len(ev)-2].Transition != "activate" {
		t.Fatalf("audit trail ends %+v", ev[len(ev)-2:])
	}

	p, err = w.plan(activities.OperationInput{Kind: activities.KindReactivate, CardID: id, Operator: "olivia", At: t0})
	if err != nil || p.From != cards.StateInactive {
		t.Fatalf("reactivation plan %+v, %v", p, err)
	}
	if _, err := w.env.ExecuteActivity(w.acts.ReleaseCertificates, certs); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if st, err := w.transition(activities.KindReactivate, id, "olivia", "", "run-r1"); err != nil || st != cards.StateActive {
			t.Fatalf("reactivate: %s, %v", st, err)
		}
	}
	if mail, ok := w.queuedInput(id, cards.OperationEvent(activities.NotifyReactivated, "run-r1")); !ok || mail.UserID != "ada" || mail.Decision.To != cards.StateActive {
		t.Fatalf("reactivated e-mail: %+v (found %v)", mail, ok)
	}

	// A card is deactivated again (a new run, a new token) ...
	if st, err := w.transition(activities.KindDeactivate, id, "olivia", "", "run-d2"); err != nil || st != cards.StateInactive {
		t.Fatalf("second deactivation: %s, %v", st, err)
	}

	// ... then locked: a comment is required, the lock's approval comes
	// with the plan, the certificates are revoked with the reason.
	_, err = w.plan(activities.OperationInput{Kind: activities.KindLock, CardID: id, Operator: "olivia", Comment: "  ", At: t0})
	if errType(err) != cards.ErrInvalidInput || !strings.Contains(err.Error(), "needs a comment") {
		t.Fatalf("lock without a comment: %v", err)
	}
	p, err = w.plan(activities.OperationInput{Kind: activities.KindLock, CardID: id, Operator: "olivia", Comment: "stolen", Compromised: true, At: t0})
	if err != nil || !p.Approval.Required || p.Approval.Approvers != 2 || p.Approval.ApproverRole != "security" || p.From != cards.StateInactive {
		t.Fatalf("lock plan %+v, %v", p, err)
	}
	revoke := activities.RevokeCertificatesInput{CardID: id, Serials: p.Serials, Reason: ca.KeyCompromise}
	for range 2 {
		if _, err := w.env.ExecuteActivity(w.acts.RevokeCertificates, revoke); err != nil {
			t.Fatal(err)
		}
	}
	recorded, _ := w.store.Certificates(ctx, id)
	for _, c := range recorded {
		if c.Status != ca.StatusRevoked || c.Reason != string(ca.KeyCompromise) || fca.statusOf(c.Serial) != ca.StatusRevoked {
			t.Fatalf("after the revocation: %+v (CA %s)", c, fca.statusOf(c.Serial))
		}
	}
	if st, err := w.transition(activities.KindLock, id, "olivia", "stolen", "run-l1"); err != nil || st != cards.StateLocked {
		t.Fatalf("lock: %s, %v", st, err)
	}
	if mail, ok := w.queuedInput(id, activities.NotifyLocked); !ok || mail.Decision.Comment != "stolen" || mail.Decision.To != cards.StateLocked {
		t.Fatalf("locked e-mail: %+v (found %v)", mail, ok)
	}
	for _, kind := range []string{activities.KindReactivate, activities.KindDeactivate, activities.KindLock} {
		_, err := w.plan(activities.OperationInput{Kind: kind, CardID: id, Operator: "olivia", Comment: "again", At: t0})
		if errType(err) != cards.ErrInvalidState || !strings.Contains(err.Error(), "is locked") {
			t.Fatalf("%s of a locked card: %v", kind, err)
		}
	}
	if _, err := w.transition(activities.KindReactivate, id, "olivia", "", "run-r9"); errType(err) != cards.ErrInvalidState {
		t.Fatalf("reactivate transition of a locked card: %v", err)
	}
}

// Reactivate's own rules: the holder must be an active user, and the
// multipleActive rule names the other active card.
func TestReactivateRules(t *testing.T) {
	ctx := context.Background()
	w, fca := lifecycleWorld(t, cardStatePolicy)
	first := w.activeCard(fca, "ada", "standard")
	if _, err := w.transition(activities.KindDeactivate, first, "olivia", "", "run-1"); err != nil {
		t.Fatal(err)
	}
	second := w.activeCard(fca, "ada", "standard")
	_, err := w.plan(activities.OperationInput{Kind: activities.KindReactivate, CardID: first, Operator: "olivia", At: t0})
	if errType(err) != cards.ErrAnotherActiveCard || !strings.Contains(err.Error(), second) {
		t.Fatalf("reactivation beside an active card: %v", err)
	}
	if _, err := w.transition(activities.KindReactivate, first, "olivia", "", "run-2"); errType(err) != cards.ErrAnotherActiveCard || !strings.Contains(err.Error(), second) {
		t.Fatalf("reactivate transition beside an active card: %v", err)
	}

	bobs := w.activeCard(fca, "bob", "visitor")
	if _, err := w.store.DB.ExecContext(ctx, `UPDATE cards SET state = 'inactive' WHERE id = $1`, bobs); err != nil {
		t.Fatal(err)
	}
	_, err = w.plan(activities.OperationInput{Kind: activities.KindReactivate, CardID: bobs, Operator: "olivia", At: t0})
	if errType(err) != cards.ErrUserNotActive || !strings.Contains(err.Error(), "user bob") {
		t.Fatalf("reactivation for a locked user: %v", err)
	}
}

// With selfService the holder may deactivate and lock their own card, not
// reactivate it, and not touch anyone else's.
func TestSelfServiceDeactivateAndLock(t *testing.T) {
	w, fca := lifecycleWorld(t, "selfService: true\n"+issuePolicy)
	id := w.activeCard(fca, "ada", "visitor")
	for _, kind := range []string{activities.KindDeactivate, activities.KindLock} {
		if _, err := w.plan(activities.OperationInput{Kind: kind, CardID: id, Operator: "ada", Comment: "lost it", At: t0}); err != nil {
			t.Fatalf("%s by the holder: %v", kind, err)
		}
	}
	if _, err := w.transition(activities.KindDeactivate, id, "ada", "", "run-1"); err != nil {
		t.Fatal(err)
	}
	_, err := w.plan(activities.OperationInput{Kind: activities.KindReactivate, CardID: id, Operator: "ada", At: t0})
	if errType(err) != cards.ErrNotAllowed || !strings.Contains(err.Error(), `role "operator"`) {
		t.Fatalf("reactivation by the holder: %v", err)
	}
	olivias := w.activeCard(fca, "olivia", "visitor")
	_, err = w.plan(activities.OperationInput{Kind: activities.KindLock, CardID: olivias, Operator: "ada", Comment: "x", At: t0})
	if errType(err) != cards.ErrNotAllowed || !strings.Contains(err.Error(), "not the card's holder (olivia)") {
		t.Fatalf("lock of someone else's card: %v", err)
	}
	_, err = w.plan(activities.OperationInput{Kind: activities.KindLock, CardID: id, Operator: "bob", Comment: "x", At: t0})
	if errType(err) != cards.ErrNotAllowed || !strings.Contains(err.Error(), `"locked"`) {
		t.Fatalf("lock by a locked user: %v", err)
	}
}

// An aborted operation leaves the card's state and says why, once.
func TestRecordAbort(t *testing.T) {
	w, fca := lifecycleWorld(t, cardStatePolicy)
	id := w.activeCard(fca, "ada", "standard")
	in := activities.AbortInput{Kind: activities.KindDeactivate, CardID: id, From: cards.StateActive, Actor: "otto",
		Reason: "Lock card by otto pre-empted it while it waited for approval", RunID: "run-1", At: t0}
	for range 2 {
		if _, err := w.env.ExecuteActivity(w.acts.RecordAbort, in); err != nil {
			t.Fatal(err)
		}
	}
	ev := w.events(id)
	last := ev[len(ev)-1]
	if last.Transition != activities.EventAbort || last.ToState != string(cards.StateActive) || last.Actor != "otto" ||
		!strings.Contains(last.Comment, "deactivate aborted: Lock card by otto") || ev[len(ev)-2].Transition != "activate" {
		t.Fatalf("audit trail ends %+v", ev[len(ev)-2:])
	}
	// A card that left the state meanwhile needs no row.
	in.From, in.RunID = cards.StateInactive, "run-2"
	if _, err := w.env.ExecuteActivity(w.acts.RecordAbort, in); err != nil {
		t.Fatal(err)
	}
	if got := len(w.events(id)); got != len(ev) {
		t.Fatalf("%d events after an abort of a card not in its state, want %d", got, len(ev))
	}
}

// Each reactivation of a card queues its own e-mail to the holder, keyed by
// its run; a retried reactivation (the same input again, as Temporal runs
// an activity whose answer was lost) queues nothing twice. Lock, which
// happens once per card, keeps its plain event.
func TestEachReactivationQueuesItsOwnEmail(t *testing.T) {
	w, fca := lifecycleWorld(t, cardStatePolicy)
	id := w.activeCard(fca, "ada", "standard")
	pokes := 0
	w.acts.OnQueued = func() { pokes++ }
	reactivated := func() []string {
		t.Helper()
		var events []string
		if err := w.store.DB.Select(&events, `SELECT event FROM notification_outbox WHERE card_id = $1 AND event LIKE 'reactivated%' ORDER BY created_at, event`, id); err != nil {
			t.Fatal(err)
		}
		return events
	}
	for i, run := range []string{"run-1", "run-2"} {
		if _, err := w.transition(activities.KindDeactivate, id, "olivia", "", "run-d"+run); err != nil {
			t.Fatal(err)
		}
		in := activities.TransitionInput{OperationInput: activities.OperationInput{
			Kind: activities.KindReactivate, CardID: id, Operator: "olivia", Comment: "back", At: t0.Add(time.Duration(i+2) * time.Hour)}, RunID: run}
		for range 3 {
			if st, err := w.state(w.acts.Transition, in); err != nil || st != cards.StateActive {
				t.Fatalf("reactivation %s: %s, %v", run, st, err)
			}
		}
		if got := reactivated(); len(got) != i+1 || got[i] != cards.OperationEvent(cards.NotifyReactivated, run) {
			t.Fatalf("after reactivation %s (run three times): reactivated e-mails queued %v", run, got)
		}
		mail, ok := w.queuedInput(id, cards.OperationEvent(cards.NotifyReactivated, run))
		if !ok || mail.Event != cards.OperationEvent(cards.NotifyReactivated, run) || mail.UserID != "ada" || mail.Decision == nil ||
			mail.Decision.Comment != "back" || !mail.Decision.At.Equal(in.At) {
			t.Fatalf("queued e-mail of %s: %+v (found %v)", run, mail, ok)
		}
	}
	if pokes != 2 {
		t.Errorf("the dispatcher was poked %d times, want once per reactivation", pokes)
	}
	reactivations := 0
	for _, e := range w.events(id) {
		if e.Transition == activities.KindReactivate {
			reactivations++
		}
	}
	if reactivations != 2 {
		t.Fatalf("%d reactivate audit rows, want 2", reactivations)
	}

	if _, err := w.transition(activities.KindLock, id, "olivia", "stolen", "run-l"); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.queuedInput(id, activities.NotifyLocked); !ok {
		t.Fatal("no locked e-mail under its plain event")
	}
}
