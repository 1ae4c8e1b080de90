package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/google/uuid"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/lane"
	"github.com/cardflow/cardflow/workflows/order"
)

// The handler tests run the real handlers, templates, middleware, sessions
// and PostgreSQL store; only the workflow is replaced (fakeCards), so that
// the console's own rules are checked in milliseconds. The browser test in
// internal/e2e runs everything for real.

const testPolicy = `
useCases: {requestCard: true}
defaultCardType: standard
cardTypes:
  standard:
    approval: {required: true, approvers: 2, timeout: 168h}
    mapping: {commonName: "{{.GivenName}} {{.Surname}}", upn: "{{.UPN}}"}
  visitor:
    approval: {required: false}
    mapping: {commonName: "Visitor {{.Surname}}", upn: "visitor.{{.ID}}@example.com"}
`

var testDirectory = []cards.User{
	{ID: "olivia", GivenName: "Olivia", Surname: "Oakes", UPN: "olivia@example.com", Email: "olivia@example.com", State: "active", Roles: []string{"operator"}},
	{ID: "alice", GivenName: "Alice", Surname: "Archer", UPN: "alice@example.com", Email: "Alice@Example.com", State: "active", Roles: []string{"approver"}},
	{ID: "bob", GivenName: "Bob", Surname: "Baker", UPN: "bob@example.com", Email: "bob@example.com", State: "active", Roles: []string{"approver"}},
	{ID: "carol", GivenName: "Carol", Surname: "Cole", UPN: "carol@example.com", Email: "carol@example.com", State: "active"},
	{ID: "dave", GivenName: "Dave", Surname: "Dunn", UPN: "dave@example.com", Email: "dave@example.com", State: "inactive", Roles: []string{"approver"}},
}

// fakeCards stands in for the workflow: it answers Status from statuses,
// records every Request and Decide, and refuses with err when set.
type fakeCards struct {
	mu        sync.Mutex
	statuses  map[string]cards.Status
	requests  []cardops.RequestInput
	decisions []fakeDecision
	err       error

	// The card's lane: open operations by card, the operations started,
	// and what the next one answers (see operations_test.go).
	open      map[string]*lane.Status
	started   []cardops.Operation
	opRefusal error       // StartOperation refuses (CardBusy, ...)
	opEnd     error       // the operation ends with this refusal
	opResult  lane.Status // or with this status
	opRunning bool        // or runs on past the wait

	// Batch orders (see orders_test.go): the orders started (written to
	// store as the workflow's first step would), the updates sent, and
	// what they answer.
	store       *store.Store
	orders      []order.Input
	orderErr    error
	updates     []fakeUpdate
	updateErr   error
	repeatReply order.RepeatResult
}

type fakeDecision struct {
	CardID, Kind string
	In           cards.DecisionInput
}

func (f *fakeCards) Request(_ context.Context, in cardops.RequestInput) (cards.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, in)
	if f.err != nil {
		return cards.Status{}, f.err
	}
	return cards.Status{ID: in.CardID, UserID: in.UserID, CardType: in.CardType, State: cards.StateRequested, RequestedBy: in.RequestedBy, ApprovalsRequired: 2}, nil
}

func (f *fakeCards) Decide(_ context.Context, cardID, kind string, in cards.DecisionInput) (cards.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.decisions = append(f.decisions, fakeDecision{CardID: cardID, Kind: kind, In: in})
	if f.err != nil {
		return cards.Status{}, f.err
	}
	return f.statuses[cardID], nil
}

func (f *fakeCards) Status(_ context.Context, cardID string) (cards.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.statuses[cardID]
	if !ok {
		return cards.Status{}, &cardops.Refusal{Type: cards.ErrNotFound, Message: "no card request " + cardID}
	}
	return st, nil
}

func (f *fakeCards) StartOperation(_ context.Context, op cardops.Operation) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, op)
	if f.opRefusal != nil {
		return "", f.opRefusal
	}
	return "run-" + op.CardID, nil
}

func (f *fakeCards) AwaitOperation(ctx context.Context, cardID, _ string) (lane.Status, error) {
	f.mu.Lock()
	running, end, result := f.opRunning, f.opEnd, f.opResult
	f.mu.Unlock()
	if running {
		<-ctx.Done()
		return lane.Status{}, ctx.Err()
	}
	if end != nil {
		return lane.Status{}, end
	}
	result.CardID = cardID
	return result, nil
}

func (f *fakeCards) OpenOperation(_ context.Context, cardID string) (*lane.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open[cardID], nil
}

func (f *fakeCards) operations() []cardops.Operation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cardops.Operation(nil), f.started...)
}

func (f *fakeCards) decided() []fakeDecision {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeDecision(nil), f.decisions...)
}

// world is one handler test's console.
type world struct {
	t     *testing.T
	store *store.Store
	cards *fakeCards
	srv   *Server
	web   *httptest.Server
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldWith(t, testPolicy)
}

// newWorldWith is newWorld under another policy.
func newWorldWith(t *testing.T, policyYAML string) *world {
	t.Helper()
	return newWorldWithServer(t, policyYAML, Server{})
}

// newWorldWithServer is newWorldWith with server settings of the test's
// own (OperationWait, StationOutputRoot).
func newWorldWithServer(t *testing.T, policyYAML string, settings Server) *world {
	t.Helper()
	st, _ := testkit.Store(t, testDirectory...)
	pol, err := policy.Parse([]byte(policyYAML))
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeCards{statuses: map[string]cards.Status{}, open: map[string]*lane.Status{}, store: st}
	settings.Store, settings.Policy, settings.Cards = st, pol, fc
	settings.Sessions = NewSessions(postgresstore.NewWithCleanupInterval(st.DB.DB, 0), false)
	settings.Log = zaptest.NewLogger(t)
	srv, err := NewServer(settings)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, store: st, cards: fc, srv: srv}
	mux := http.NewServeMux()
	mux.Handle("/test/sign-in", srv.Sessions.LoadAndSave(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if err := srv.SignIn(r.Context(), r.URL.Query().Get("user"), r.URL.Query().Get("identity")); err != nil {
			t.Error(err)
		}
	})))
	mux.Handle("/", srv.Handler())
	w.web = httptest.NewServer(mux)
	t.Cleanup(w.web.Close)
	return w
}

// card writes a waiting card for userID requested by requester, and the
// workflow status the fake answers for it.
func (w *world) card(userID, requester, cardType string, approvals ...string) string {
	w.t.Helper()
	id := uuid.NewString()
	_, _, err := w.store.InsertCard(context.Background(), store.Card{
		ID: id, UserID: userID, CardType: cardType, CommonName: "CN " + userID, UPN: userID + "@example.com",
		State: cards.StateRequested, RequestedBy: requester, WorkflowID: "request-card-" + id, ApprovalsRequired: 2,
	}, time.Now())
	if err != nil {
		w.t.Fatal(err)
	}
	st := cards.Status{ID: id, UserID: userID, CardType: cardType, State: cards.StateRequested, RequestedBy: requester, ApprovalsRequired: 2}
	for _, a := range approvals {
		st.Approvals = append(st.Approvals, cards.Approval{Actor: a, At: time.Now()})
	}
	// The approvals row a version-3 RequestCard opens, with its votes
	// (their tokens "<run id>/<update id>", as the approval process
	// writes them): what the Inbox and the Approvals panel read.
	expires := time.Now().Add(time.Hour)
	if _, err := w.store.OpenApproval(context.Background(), store.Approval{
		CardID: id, Operation: "request", WorkflowID: "request-card-" + id, RunID: "run", ApprovalsRequired: 2,
		ApproverRole: approverRole(w.srv.Policy, cardType), RequestedBy: requester, HolderID: userID, CardType: cardType,
		ExpiresAt: &expires, CreatedAt: time.Now(),
	}); err != nil {
		w.t.Fatal(err)
	}
	for i, a := range approvals {
		if _, err := w.store.RecordVote(context.Background(), store.Vote{WorkflowID: "request-card-" + id, RunID: "run", CardID: id,
			Kind: "approve", Actor: a, At: time.Now(), Token: fmt.Sprintf("run/%d", i)}); err != nil {
			w.t.Fatal(err)
		}
	}
	w.cards.mu.Lock()
	w.cards.statuses[id] = st
	w.cards.mu.Unlock()
	return id
}

// browser is a signed-in (or signed-out) visitor with a cookie jar that
// does not follow redirects, so tests see them.
type browser struct {
	w      *world
	client *http.Client
	// crossSite makes every post look like a form on another site.
	crossSite bool
}

func (w *world) visitor() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// as signs in as a directory user id.
func (w *world) as(userID string) *browser {
	return w.signedIn(userID, userID+"@example.com")
}

// signedIn makes a session for userID ("" for someone the directory does
// not know) with the identity the provider vouched for.
func (w *world) signedIn(userID, identity string) *browser {
	w.t.Helper()
	b := w.visitor()
	resp, err := b.client.Get(w.web.URL + "/test/sign-in?user=" + url.QueryEscape(userID) + "&identity=" + url.QueryEscape(identity))
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return b
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page {
	b.w.t.Helper()
	return b.do(http.MethodGet, path, nil)
}

func (b *browser) post(path string, form url.Values) page {
	b.w.t.Helper()
	return b.do(http.MethodPost, path, form)
}

func (b *browser) do(method, path string, form url.Values) page {
	b.w.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, b.w.web.URL+path, body)
	if err != nil {
		b.w.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		// What a browser sends with a form from the console's own page.
		req.Header.Set("Origin", b.w.web.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if b.crossSite {
			req.Header.Set("Origin", "http://evil.example")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		b.w.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func (p page) has(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if !strings.Contains(p.body, text) {
			t.Errorf("page (status %d) lacks %q:\n%s", p.status, text, p.body)
		}
	}
}

func (p page) lacks(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		if strings.Contains(p.body, text) {
			t.Errorf("page (status %d) shows %q, which it must not", p.status, text)
		}
	}
}

// people adds n active directory users without roles (p00, p01, ...), as
// the users of many cards.
func (w *world) people(n int) []string {
	w.t.Helper()
	var ids []string
	for i := range n {
		u := cards.User{ID: fmt.Sprintf("p%02d", i), GivenName: "P", Surname: fmt.Sprint(i), State: "active"}
		if err := w.store.UpsertUser(context.Background(), u); err != nil {
			w.t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return ids
}
