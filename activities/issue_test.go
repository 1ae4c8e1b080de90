package activities_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/store"
)

// issuePolicy enables both use cases; visitor cards may be active several
// at a time and carry one certificate.
const issuePolicy = `
useCases: {requestCard: true, issueCard: true}
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true}
    validity: 8760h
  visitor:
    multipleActive: true
    production: {numberPrefix: V, pinLength: 4, pinDelivery: none, certificates: [authentication], station: desk-2}
`

// issueOnlyPolicy disables Request card: Issue card for a user creates
// the card.
const issueOnlyPolicy = `
useCases: {issueCard: true}
cardTypes:
  standard:
    mapping: {commonName: "{{.Surname}}, {{.GivenName}}"}
`

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// lifecycleWorld is newWorld with secret keys, a fake CA and e-mail on.
func lifecycleWorld(t *testing.T, policyYAML string) (*world, *fakeCA) {
	t.Helper()
	w := newWorld(t, policyYAML)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	keys, err := secrets.ParseKeys("test-keys", strings.NewReader("s1 "+base64.StdEncoding.EncodeToString(key)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.acts.Secrets = keys
	fca := newFakeCA()
	w.acts.CA = fca
	w.acts.Notifier = mailOn{}
	return w, fca
}

// approvedCard stores an approved card of user and card type.
func (w *world) approvedCard(user, cardType string) string {
	w.t.Helper()
	id := uuid.NewString()
	if _, _, err := w.store.InsertCard(context.Background(), store.Card{ID: id, UserID: user, CardType: cardType, CommonName: "Lovelace, Ada",
		UPN: "ada@corp.example", State: cards.StateApproved, RequestedBy: "olivia", WorkflowID: "request-card-" + id}, t0); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) begin(in activities.BeginIssueInput) (activities.Production, error) {
	w.t.Helper()
	v, err := w.env.ExecuteActivity(w.acts.BeginIssue, in)
	var p activities.Production
	if err == nil {
		if err := v.Get(&p); err != nil {
			w.t.Fatal(err)
		}
	}
	return p, err
}

func (w *world) state(activity any, in any) (cards.State, error) {
	w.t.Helper()
	v, err := w.env.ExecuteActivity(activity, in)
	var s cards.State
	if err == nil {
		if err := v.Get(&s); err != nil {
			w.t.Fatal(err)
		}
	}
	return s, err
}

// produce plays what the station and the CA do for p: one certificate per
// usage, issued by the fake CA.
func produce(fca *fakeCA, p activities.Production) []ca.Certificate {
	var certs []ca.Certificate
	for _, u := range p.Usages {
		c, _ := fca.Issue(context.Background(), ca.IssueRequest{CardID: p.CardID, Usage: u, Generation: p.Generation, NotAfter: p.ValidUntil})
		certs = append(certs, c)
	}
	return certs
}

// issue runs Issue card's activities for an approved card: begin, hold,
// complete.
func (w *world) issue(fca *fakeCA, cardID string) activities.Production {
	w.t.Helper()
	p, err := w.begin(activities.BeginIssueInput{CardID: cardID, Operator: "olivia", RunID: "run-" + cardID, At: t0})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.env.ExecuteActivity(w.acts.HoldCertificates, activities.HoldCertificatesInput{CardID: cardID, Generation: p.Generation, Certificates: produce(fca, p)}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.state(w.acts.CompleteIssue, activities.CompleteIssueInput{CardID: cardID, Generation: p.Generation, Station: p.Station,
		UID: "04" + cardID[:12], Operator: "olivia", From: p.From, At: t0.Add(5 * time.Minute), ValidUntil: p.ValidUntil}); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// Issue card from an approved card: one number and one generation however
// often BeginIssue runs in a run, the PIN and PUK sealed, the certificates
// on hold at the CA and recorded, the card issued with its validity, chip
// and station, and the holder's e-mail queued once, without a PIN.
func TestIssueCardFromApproved(t *testing.T) {
	ctx := context.Background()
	w, fca := lifecycleWorld(t, issuePolicy)
	id := w.approvedCard("ada", "standard")
	in := activities.BeginIssueInput{CardID: id, Operator: "olivia", RunID: "run-1", At: t0}
	p, err := w.begin(in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.begin(in)
	if err != nil || again.Number != p.Number || again.Generation != 1 {
		t.Fatalf("retried BeginIssue: %+v, %v; want number %s, generation 1", again, err, p.Number)
	}
	if !cardnumber.Valid(p.Number) || !strings.HasPrefix(p.Number, "C") || p.UserID != "ada" || p.CommonName != "Lovelace, Ada" ||
		!p.ValidUntil.Equal(t0.Add(8760*time.Hour)) || len(p.Usages) != 2 || p.Station != "station-1" ||
		p.StationTimeout != 10*time.Minute || p.PINDelivery != "letter" || p.From != cards.StateApproved {
		t.Fatalf("production %+v", p)
	}
	if _, found, err := w.store.SealedSecret(ctx, id, store.SecretPUK); err != nil || !found {
		t.Fatalf("PUK sealed: %v, %v", found, err)
	}
	certs := produce(fca, p)
	hold := activities.HoldCertificatesInput{CardID: id, Generation: p.Generation, Certificates: certs}
	for range 2 {
		if _, err := w.env.ExecuteActivity(w.acts.HoldCertificates, hold); err != nil {
			t.Fatal(err)
		}
	}
	recorded, err := w.store.Certificates(ctx, id)
	if err != nil || len(recorded) != 2 {
		t.Fatalf("recorded %+v, %v", recorded, err)
	}
	for _, c := range recorded {
		if c.Status != ca.StatusHold || fca.statusOf(c.Serial) != ca.StatusHold || c.PEM == "" || !c.NotAfter.Equal(p.ValidUntil) {
			t.Fatalf("certificate %+v, at the CA %s; want hold", c, fca.statusOf(c.Serial))
		}
	}
	complete := activities.CompleteIssueInput{CardID: id, Generation: p.Generation, Station: p.Station, UID: "04a1b2c3d4e5f6",
		Operator: "olivia", From: p.From, At: t0.Add(7 * time.Minute), ValidUntil: p.ValidUntil}
	for range 2 {
		if st, err := w.state(w.acts.CompleteIssue, complete); err != nil || st != cards.StateIssued {
			t.Fatalf("complete: %s, %v", st, err)
		}
	}
	c, _ := w.store.Card(ctx, id)
	if c.ValidUntil == nil || !c.ValidUntil.Equal(p.ValidUntil) || c.ChipUID != "04a1b2c3d4e5f6" || c.Station != "station-1" || c.CardNumber != p.Number {
		t.Fatalf("issued card %+v", c)
	}
	var names []string
	for _, e := range w.events(id) {
		names = append(names, e.Transition)
	}
	if strings.Join(names, ",") != "request,produce,issue" {
		t.Fatalf("audit trail %v, want request, produce, issue", names)
	}
	mail, ok := w.queuedInput(id, activities.NotifyIssued)
	if !ok || mail.UserID != "ada" || mail.CardNumber != p.Number || mail.PINDelivery != "letter" || mail.ValidUntil == nil ||
		mail.Decision == nil || mail.Decision.Actor != "olivia" {
		t.Fatalf("issued e-mail queued: %+v (found %v)", mail, ok)
	}
	var n int
	if err := w.store.DB.Get(&n, `SELECT count(*) FROM notification_outbox WHERE card_id = $1`, id); err != nil || n != 1 {
		t.Fatalf("%d e-mails queued, want 1", n)
	}
}

func (w *world) events(cardID string) []store.Event {
	w.t.Helper()
	ev, err := w.store.Events(context.Background(), cardID)
	if err != nil {
		w.t.Fatal(err)
	}
	return ev
}

// BeginIssue's refusals name what is wrong: the use case, the operator's
// role, the card's state, a missing card, a user path while Request card
// is on.
func TestBeginIssueRefusals(t *testing.T) {
	w, fca := lifecycleWorld(t, issuePolicy)
	approved := w.approvedCard("ada", "standard")
	issued := w.approvedCard("ada", "visitor")
	w.issue(fca, issued)
	cases := []struct {
		name     string
		in       activities.BeginIssueInput
		wantType string
		wantText []string
	}{
		{"operator without the role", activities.BeginIssueInput{CardID: approved, Operator: "ada", RunID: "r1", At: t0},
			cards.ErrNotAllowed, []string{`does not hold role "operator"`}},
		{"locked operator", activities.BeginIssueInput{CardID: approved, Operator: "bob", RunID: "r1", At: t0},
			cards.ErrNotAllowed, []string{`"locked"`}},
		{"issued card", activities.BeginIssueInput{CardID: issued, Operator: "olivia", RunID: "r2", At: t0},
			cards.ErrInvalidState, []string{"card " + issued + " is issued", "Issue card needs approved"}},
		{"repeat of an issued card", activities.BeginIssueInput{CardID: issued, Operator: "olivia", RunID: "r3", Repeat: true, At: t0},
			cards.ErrInvalidState, []string{"is issued", "Repeat production needs failed"}},
		{"no such card", activities.BeginIssueInput{CardID: uuid.NewString(), Operator: "olivia", RunID: "r4", At: t0},
			cards.ErrCardNotFound, []string{"does not exist"}},
		{"for a user while Request card is on", activities.BeginIssueInput{CardID: uuid.NewString(), UserID: "ada", Operator: "olivia", RunID: "r5", At: t0},
			cards.ErrUseCaseDisabled, []string{"request a card for user ada first"}},
		{"a station with a space", activities.BeginIssueInput{CardID: approved, Operator: "olivia", Station: "desk 1", RunID: "r6", At: t0},
			cards.ErrInvalidInput, []string{"station"}},
	}
	for _, c := range cases {
		_, err := w.begin(c.in)
		if errType(err) != c.wantType || !nonRetryable(err) {
			t.Fatalf("%s: %v, want %s", c.name, err, c.wantType)
		}
		for _, want := range c.wantText {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("%s: %v, want it to say %q", c.name, err, want)
			}
		}
	}
	off, _ := lifecycleWorld(t, testPolicy)
	if _, err := off.begin(activities.BeginIssueInput{CardID: uuid.NewString(), Operator: "olivia", RunID: "r", At: t0}); errType(err) != cards.ErrUseCaseDisabled ||
		!strings.Contains(err.Error(), "useCases.issueCard: true") {
		t.Fatalf("use case off: %v", err)
	}
}

// With Request card disabled, Issue card for a user creates the card in
// registered with Request card's mapping, once however often it runs.
func TestIssueCardForAUserRegistersTheCard(t *testing.T) {
	ctx := context.Background()
	w, _ := lifecycleWorld(t, issueOnlyPolicy)
	id := uuid.NewString()
	in := activities.BeginIssueInput{CardID: id, UserID: "ada", Operator: "olivia", RunID: "run-1", At: t0}
	for range 2 {
		p, err := w.begin(in)
		if err != nil {
			t.Fatal(err)
		}
		if p.CardID != id || p.From != cards.StateRegistered || p.CommonName != "Lovelace, Ada" || p.CardType != "standard" || p.Generation != 1 {
			t.Fatalf("production %+v", p)
		}
	}
	c, err := w.store.Card(ctx, id)
	if err != nil || c.State != cards.StateRegistered || c.RequestedBy != "olivia" || c.WorkflowID != cards.LaneWorkflowID(id) {
		t.Fatalf("registered card %+v, %v", c, err)
	}
	if ev := w.events(id); len(ev) != 2 || ev[0].Transition != "register" || ev[0].ToState != "registered" {
		t.Fatalf("audit trail %+v", ev)
	}
	// No card id: the card's id comes from the run, so a retry finds it.
	first, err := w.begin(activities.BeginIssueInput{UserID: "ada", Operator: "olivia", RunID: "run-2", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.begin(activities.BeginIssueInput{UserID: "ada", Operator: "olivia", RunID: "run-2", At: t0})
	if err != nil || second.CardID != first.CardID {
		t.Fatalf("retried without a card id: %s then %s, %v", first.CardID, second.CardID, err)
	}
	for _, c := range []struct{ user, cardType, want string }{
		{"bob", "", cards.ErrUserNotActive}, {"zed", "", cards.ErrUserNotFound}, {"ada", "gold", cards.ErrUnknownCardType},
	} {
		_, err := w.begin(activities.BeginIssueInput{CardID: uuid.NewString(), UserID: c.user, CardType: c.cardType, Operator: "olivia", RunID: "r", At: t0})
		if errType(err) != c.want || !nonRetryable(err) {
			t.Fatalf("user %s, type %q: %v, want %s", c.user, c.cardType, err, c.want)
		}
	}
}

// A failed job: what the CA issued is revoked (what it did not is no
// error), the card is failed with the reason, once; Repeat production keeps
// the number in a new generation; Cancel production makes it final.
func TestFailRepeatAndCancelProduction(t *testing.T) {
	ctx := context.Background()
	w, fca := lifecycleWorld(t, issuePolicy)
	id := w.approvedCard("ada", "standard")
	p, err := w.begin(activities.BeginIssueInput{CardID: id, Operator: "olivia", RunID: "run-1", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	// The job got its authentication certificate, held and recorded, and
	// died before signing.
	auth, _ := fca.Issue(ctx, ca.IssueRequest{CardID: id, Usage: ca.Authentication, Generation: 1})
	if _, err := w.env.ExecuteActivity(w.acts.HoldCertificates, activities.HoldCertificatesInput{CardID: id, Generation: 1, Certificates: []ca.Certificate{auth}}); err != nil {
		t.Fatal(err)
	}
	fail := activities.FailProductionInput{CardID: id, Generation: 1, Usages: p.Usages, Reason: "print station station-1: CardJam: card jam", From: p.From, At: t0.Add(time.Minute)}
	for range 2 {
		if st, err := w.state(w.acts.FailProduction, fail); err != nil || st != cards.StateFailed {
			t.Fatalf("fail: %s, %v", st, err)
		}
	}
	if st := fca.statusOf(auth.Serial); st != ca.StatusRevoked {
		t.Fatalf("half-issued certificate %s at the CA, want revoked", st)
	}
	if recorded, _ := w.store.Certificates(ctx, id); len(recorded) != 1 || recorded[0].Status != ca.StatusRevoked || recorded[0].Reason != "cessationOfOperation" {
		t.Fatalf("recorded %+v", recorded)
	}
	var fails []store.Event
	for _, e := range w.events(id) {
		if e.Transition == "fail" {
			fails = append(fails, e)
		}
	}
	if len(fails) != 1 || fails[0].Comment != fail.Reason || fails[0].Actor != cards.SystemActor {
		t.Fatalf("fail rows %+v", fails)
	}
	// Issue card on a failed card needs Repeat production.
	if _, err := w.begin(activities.BeginIssueInput{CardID: id, Operator: "olivia", RunID: "run-2", At: t0}); errType(err) != cards.ErrInvalidState ||
		!strings.Contains(err.Error(), "is failed") {
		t.Fatalf("issue of a failed card: %v", err)
	}
	repeat, err := w.begin(activities.BeginIssueInput{CardID: id, Operator: "olivia", RunID: "run-2", Repeat: true, Station: "station-2", At: t0.Add(time.Hour)})
	if err != nil || repeat.Number != p.Number || repeat.Generation != 2 || repeat.Station != "station-2" || repeat.From != cards.StateFailed {
		t.Fatalf("repeat: %+v, %v", repeat, err)
	}
	// It fails again (failed → failed), then the operator cancels.
	fail.Generation, fail.Reason = 2, "print station station-2 did not take the job within 10m0s"
	if st, err := w.state(w.acts.FailProduction, fail); err != nil || st != cards.StateFailed {
		t.Fatalf("second failure: %s, %v", st, err)
	}
	if _, err := w.state(w.acts.CancelProduction, activities.CancelProductionInput{CardID: id, Operator: "ada", At: t0}); errType(err) != cards.ErrNotAllowed {
		t.Fatalf("cancel by a user without the role: %v", err)
	}
	cancel := activities.CancelProductionInput{CardID: id, Operator: "olivia", Comment: "printer sent for repair", At: t0.Add(2 * time.Hour)}
	for range 2 {
		if st, err := w.state(w.acts.CancelProduction, cancel); err != nil || st != cards.StateFailed {
			t.Fatalf("cancel: %s, %v", st, err)
		}
	}
	_, err = w.begin(activities.BeginIssueInput{CardID: id, Operator: "olivia", RunID: "run-3", Repeat: true, At: t0})
	if errType(err) != cards.ErrInvalidState || !strings.Contains(err.Error(), "production was cancelled") {
		t.Fatalf("repeat after cancel: %v", err)
	}
	other := w.approvedCard("ada", "visitor")
	if _, err := w.state(w.acts.CancelProduction, activities.CancelProductionInput{CardID: other, Operator: "olivia", At: t0}); errType(err) != cards.ErrInvalidState ||
		!strings.Contains(err.Error(), "is approved; Cancel production needs failed") {
		t.Fatalf("cancel of an approved card: %v", err)
	}
}

// The CA steps refuse without a CA, and a CA whose OCSP lags behind a hold
// is asked again (a retryable error), not recorded as held.
func TestHoldCertificatesNeedsTheCAAndItsWord(t *testing.T) {
	w, fca := lifecycleWorld(t, issuePolicy)
	id := w.approvedCard("ada", "standard")
	p, err := w.begin(activities.BeginIssueInput{CardID: id, Operator: "olivia", RunID: "run-1", At: t0})
	if err != nil {
		t.Fatal(err)
	}
	certs := produce(fca, p)
	fca.lagging = true
	_, err = w.env.ExecuteActivity(w.acts.HoldCertificates, activities.HoldCertificatesInput{CardID: id, Generation: 1, Certificates: certs})
	if err == nil || nonRetryable(err) || !strings.Contains(err.Error(), "OCSP says good") {
		t.Fatalf("lagging OCSP: %v, want a retryable error", err)
	}
	if recorded, _ := w.store.Certificates(context.Background(), id); len(recorded) != 0 {
		t.Fatalf("recorded %+v before OCSP said hold", recorded)
	}
	w.acts.CA = nil
	_, err = w.env.ExecuteActivity(w.acts.HoldCertificates, activities.HoldCertificatesInput{CardID: id, Generation: 1, Certificates: certs})
	if errType(err) != activities.ErrCAUnavailable || !nonRetryable(err) || !strings.Contains(err.Error(), "CARDS_CA_URL") {
		t.Fatalf("no CA: %v", err)
	}
}
