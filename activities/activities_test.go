package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

const testPolicy = `
useCases: {requestCard: true}
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 2, timeout: 24h}
    mapping: {commonName: "{{.Surname}}, {{.GivenName}}", upn: "{{.ID}}@corp.example"}
  visitor:
    approval: {required: false}
`

type world struct {
	t     *testing.T
	store *store.Store
	acts  *activities.Activities
	env   *testsuite.TestActivityEnvironment
	rec   *recorder
	// dbURL is the test database, for a second pool (through a proxy).
	dbURL string
}

type recorder struct{ persisted, decided []cards.State }

func (r *recorder) CardPersisted(s cards.State)                { r.persisted = append(r.persisted, s) }
func (r *recorder) CardDecided(s cards.State, _ time.Duration) { r.decided = append(r.decided, s) }

func newWorld(t *testing.T, policyYAML string) *world {
	t.Helper()
	st, dbURL := testkit.Store(t,
		cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace", UPN: "ada@example.com", State: "active"},
		cards.User{ID: "bob", GivenName: "Bob", Surname: "Locked", UPN: "bob@example.com", State: "locked"},
		cards.User{ID: "olivia", GivenName: "Olivia", Surname: "Operator", UPN: "olivia@example.com", State: "active", Roles: []string{"operator"}},
	)
	pol, err := policy.Parse([]byte(policyYAML))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: st, acts: activities.New(st, pol), rec: &recorder{}, dbURL: dbURL}
	w.acts.Metrics = w.rec
	var suite testsuite.WorkflowTestSuite
	w.env = suite.NewTestActivityEnvironment()
	w.env.RegisterActivity(w.acts)
	return w
}

func errType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}

func nonRetryable(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

func TestResolvePolicy(t *testing.T) {
	w := newWorld(t, testPolicy)
	v, err := w.env.ExecuteActivity(w.acts.ResolvePolicy, "")
	if err != nil {
		t.Fatal(err)
	}
	var r policy.Resolved
	if err := v.Get(&r); err != nil || r.CardType != "standard" || r.ApproversRequired != 2 || r.ApprovalTimeout != 24*time.Hour {
		t.Fatalf("resolved %+v, %v", r, err)
	}
	_, err = w.env.ExecuteActivity(w.acts.ResolvePolicy, "gold")
	if errType(err) != cards.ErrUnknownCardType || !nonRetryable(err) || !strings.Contains(err.Error(), "gold") {
		t.Fatalf("unknown type: %v", err)
	}
	off := newWorld(t, "useCases: {issueCard: true}\ncardTypes: {standard: {}}\n")
	_, err = off.env.ExecuteActivity(off.acts.ResolvePolicy, "standard")
	if errType(err) != cards.ErrUseCaseDisabled || !nonRetryable(err) {
		t.Fatalf("disabled: %v", err)
	}
}

// TestPrepareRequestChecksUserAndRequester: the directory read refuses a
// user that is missing or not active, and a requester without the role.
func TestPrepareRequestChecksUserAndRequester(t *testing.T) {
	w := newWorld(t, testPolicy)
	require := func(name string, in activities.PrepareRequestInput, wantType, wantText string) {
		t.Helper()
		v, err := w.env.ExecuteActivity(w.acts.PrepareRequest, in)
		if wantType == "" {
			var p activities.PreparedRequest
			if err != nil || v.Get(&p) != nil || p.Card.CommonName != "Lovelace, Ada" || p.Policy.CardType != "standard" {
				t.Fatalf("%s: %+v, %v", name, p, err)
			}
			return
		}
		if errType(err) != wantType || !nonRetryable(err) || !strings.Contains(err.Error(), wantText) {
			t.Fatalf("%s: got %v, want %s mentioning %q", name, err, wantType, wantText)
		}
	}
	require("operator requests for ada", activities.PrepareRequestInput{UserID: "ada", RequestedBy: "olivia"}, "", "")
	require("locked user", activities.PrepareRequestInput{UserID: "bob", RequestedBy: "olivia"}, cards.ErrUserNotActive, "locked")
	require("unknown user", activities.PrepareRequestInput{UserID: "zed", RequestedBy: "olivia"}, cards.ErrUserNotFound, "zed")
	require("requester without the role", activities.PrepareRequestInput{UserID: "ada", RequestedBy: "ada"}, cards.ErrNotAllowed, `does not hold role "operator"`)
}

// contractPolicy is the policy example of the product contract.
const contractPolicy = `
useCases:
  requestCard: true
defaultCardType: standard
cardTypes:
  standard:
    approval:
      required: true
      approvers: 1
      timeout: 168h
    mapping:
      commonName: "{{.GivenName}} {{.Surname}}"
      upn: "{{.UPN}}"
  visitor:
    approval:
      required: false
`

func TestMapUserToCard(t *testing.T) {
	ada := cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace", UPN: "ada@example.com", State: "active"}
	for _, tc := range []struct {
		name, policy, cardType string
		want                   cards.CardData
	}{
		{"contract standard", contractPolicy, "standard", cards.CardData{CommonName: "Ada Lovelace", UPN: "ada@example.com"}},
		{"contract visitor, default templates", contractPolicy, "visitor", cards.CardData{CommonName: "Ada Lovelace", UPN: "ada@example.com"}},
		{"custom templates", testPolicy, "standard", cards.CardData{CommonName: "Lovelace, Ada", UPN: "ada@corp.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The mapping reads no database.
			pol, err := policy.Parse([]byte(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			acts := activities.New(nil, pol)
			r, err := pol.Resolve(tc.cardType)
			if err != nil {
				t.Fatal(err)
			}
			d, err := activities.MapUserToCard(acts, ada, r)
			if err != nil || d != tc.want {
				t.Fatalf("mapped %+v, %v; want %+v", d, err, tc.want)
			}
		})
	}
}

func persistInput(id, user, cardType string, state cards.State) activities.PersistCardInput {
	return activities.PersistCardInput{CardID: id, WorkflowID: "request-card-" + id, UserID: user, CardType: cardType,
		CommonName: "Ada Lovelace", UPN: "ada@example.com", State: state, RequestedBy: "olivia", ApprovalsRequired: 2,
		At: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
}

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.store.DB.Get(&n, query, args...); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func TestPersistCardTwiceWritesOnce(t *testing.T) {
	w := newWorld(t, testPolicy)
	id := uuid.NewString()
	for i, wantCreated := range []bool{true, false} {
		v, err := w.env.ExecuteActivity(w.acts.PersistCard, persistInput(id, "ada", "standard", cards.StateRequested))
		var res activities.PersistCardResult
		if err != nil || v.Get(&res) != nil || res.State != cards.StateRequested || res.Created != wantCreated {
			t.Fatalf("call %d: %+v, %v", i+1, res, err)
		}
	}
	if n := w.count(`SELECT count(*) FROM cards WHERE id = $1`, id); n != 1 {
		t.Fatalf("cards = %d", n)
	}
	if n := w.count(`SELECT count(*) FROM card_events WHERE card_id = $1`, id); n != 1 {
		t.Fatalf("events = %d", n)
	}
	if len(w.rec.persisted) != 1 {
		t.Fatalf("metrics counted %d persists, want 1", len(w.rec.persisted))
	}
}

func TestSecondOpenRequestIsRefusedWithTheOpenID(t *testing.T) {
	w := newWorld(t, testPolicy)
	first := uuid.NewString()
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, persistInput(first, "ada", "standard", cards.StateRequested)); err != nil {
		t.Fatal(err)
	}
	_, err := w.env.ExecuteActivity(w.acts.PersistCard, persistInput(uuid.NewString(), "ada", "standard", cards.StateRequested))
	if errType(err) != cards.ErrDuplicateOpenRequest || !nonRetryable(err) || !strings.Contains(err.Error(), first) {
		t.Fatalf("err = %v, want DuplicateOpenRequest naming %s", err, first)
	}
	if n := w.count(`SELECT count(*) FROM cards WHERE user_id = 'ada'`); n != 1 {
		t.Fatalf("cards = %d", n)
	}
	// Approved cards are not open: any number of them is fine.
	for range 2 {
		if _, err := w.env.ExecuteActivity(w.acts.PersistCard, persistInput(uuid.NewString(), "ada", "visitor", cards.StateApproved)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTransitionIsIdempotentAndFinal(t *testing.T) {
	w := newWorld(t, testPolicy)
	id := uuid.NewString()
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, persistInput(id, "ada", "standard", cards.StateRequested)); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	approve := activities.TransitionCardInput{CardID: id, To: cards.StateApproved, Actor: "bob", Comment: "ok", At: at,
		Approvals: []cards.Approval{{Actor: "alice", At: at}, {Actor: "bob", Comment: "ok", At: at}}}
	for i := range 2 {
		v, err := w.env.ExecuteActivity(w.acts.TransitionCard, approve)
		var state cards.State
		if err != nil || v.Get(&state) != nil || state != cards.StateApproved {
			t.Fatalf("call %d: %s, %v", i+1, state, err)
		}
	}
	if n := w.count(`SELECT count(*) FROM card_events WHERE card_id = $1 AND to_state = 'approved'`, id); n != 1 {
		t.Fatalf("approval events = %d, want 1", n)
	}
	if n := w.count(`SELECT count(*) FROM card_approvals WHERE card_id = $1`, id); n != 2 {
		t.Fatalf("approvals = %d, want 2", n)
	}
	if len(w.rec.decided) != 1 {
		t.Fatalf("metrics counted %d decisions, want 1", len(w.rec.decided))
	}
	_, err := w.env.ExecuteActivity(w.acts.TransitionCard, activities.TransitionCardInput{CardID: id, To: cards.StateRejected, Actor: "carl", Comment: "no", At: at})
	if errType(err) != cards.ErrAlreadyDecided || !nonRetryable(err) {
		t.Fatalf("reject after approve: %v", err)
	}
	if c, _ := w.store.Card(context.Background(), id); c.State != cards.StateApproved {
		t.Fatalf("a final card changed: %s", c.State)
	}
	_, err = w.env.ExecuteActivity(w.acts.TransitionCard, activities.TransitionCardInput{CardID: uuid.NewString(), To: cards.StateAborted, Actor: "system", At: at})
	if errType(err) != cards.ErrCardNotFound {
		t.Fatalf("unknown card: %v", err)
	}
}

// The card and its audit event are written in one transaction: when the
// event cannot be written, the card is not either.
func TestStateChangeAndAuditEventAreAtomic(t *testing.T) {
	w := newWorld(t, testPolicy)
	id := uuid.NewString()
	if _, err := w.store.DB.Exec(`ALTER TABLE card_events RENAME TO card_events_away`); err != nil {
		t.Fatal(err)
	}
	_, err := w.env.ExecuteActivity(w.acts.PersistCard, persistInput(id, "ada", "standard", cards.StateRequested))
	if err == nil {
		t.Fatal("persist succeeded without an audit table")
	}
	if n := w.count(`SELECT count(*) FROM cards WHERE id = $1`, id); n != 0 {
		t.Fatalf("card written without its audit event")
	}
	if _, err := w.store.DB.Exec(`ALTER TABLE card_events_away RENAME TO card_events`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, persistInput(id, "ada", "standard", cards.StateRequested)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.DB.Exec(`ALTER TABLE card_events RENAME TO card_events_away`); err != nil {
		t.Fatal(err)
	}
	_, err = w.env.ExecuteActivity(w.acts.TransitionCard, activities.TransitionCardInput{CardID: id, To: cards.StateRejected, Actor: "carl", Comment: "no", At: time.Now()})
	if err == nil {
		t.Fatal("transition succeeded without an audit table")
	}
	if c, _ := w.store.Card(context.Background(), id); c.State != cards.StateRequested {
		t.Fatalf("state changed to %s without its audit event", c.State)
	}
	if _, err := w.store.DB.Exec(`ALTER TABLE card_events_away RENAME TO card_events`); err != nil {
		t.Fatal(err)
	}
}
