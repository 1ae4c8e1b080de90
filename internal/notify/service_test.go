package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/smtptest"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// world is one test's directory, card and SMTP server.
type world struct {
	t       testing.TB
	store   *store.Store
	smtp    *smtptest.Server
	metrics *counts
	card    cards.NotifyInput
	// dbURL is the test database, for a second pool (through a proxy).
	dbURL string
}

// The directory: olivia requests (and could approve), alice and bernard
// approve, carl approves but is inactive, mallory has no role, nomail
// approves without an address, and carol is the card's user (an approver
// herself, who must not be asked to approve her own card).
var people = []cards.User{
	{ID: "olivia", GivenName: "Olivia", Surname: "Operator", Email: "olivia@example.com", State: "active", Roles: []string{"operator", "approver"}},
	{ID: "alice", GivenName: "Alice", Surname: "Archer", Email: "alice@example.com", State: "active", Roles: []string{"approver"}},
	{ID: "bernard", GivenName: "Bernard", Surname: "Brook", Email: "bernard@example.com", State: "active", Roles: []string{"approver"}},
	{ID: "carl", GivenName: "Carl", Surname: "Clay", Email: "carl@example.com", State: "inactive", Roles: []string{"approver"}},
	{ID: "mallory", GivenName: "Mallory", Surname: "Mole", Email: "mallory@example.com", State: "active"},
	{ID: "nomail", GivenName: "No", Surname: "Mail", State: "active", Roles: []string{"approver"}},
	{ID: "carol", GivenName: "Carol", Surname: "Cole", UPN: "carol@corp.example.com", Email: "carol@example.com", State: "active", Roles: []string{"approver"}},
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	st, dbURL := testkit.Store(t, people...)
	id := uuid.NewString()
	if _, _, err := st.InsertCard(ctx, store.Card{ID: id, UserID: "carol", CardType: "standard", CommonName: "Carol Cole",
		UPN: "carol@corp.example.com", State: cards.StateRequested, RequestedBy: "olivia", WorkflowID: "request-card-" + id, ApprovalsRequired: 2}, time.Now()); err != nil {
		t.Fatal(err)
	}
	expires := time.Date(2030, 1, 8, 9, 30, 0, 0, time.UTC)
	return &world{t: t, store: st, smtp: smtptest.Start(t), metrics: &counts{n: map[string]int{}},
		dbURL: dbURL,
		card: cards.NotifyInput{Event: cards.NotifyRequested, CardID: id, UserID: "carol", CardType: "standard",
			CommonName: "Carol Cole", UPN: "carol@corp.example.com", RequestedBy: "olivia", ApproverRole: "approver",
			ApprovalsRequired: 2, ExpiresAt: &expires}}
}

func (w *world) config() notify.Config {
	return notify.Config{SMTPURL: "smtp://" + w.smtp.Addr + "?tls=none", From: "cardflow <cards@example.com>", ConsoleURL: "https://cards.example.com/"}
}

func (w *world) service(cfg notify.Config) *notify.Service {
	w.t.Helper()
	svc, err := notify.New(cfg, w.store, w.metrics)
	if err != nil {
		w.t.Fatal(err)
	}
	return svc
}

// outcomes maps recipient to outcome.
func outcomes(r cards.NotifyResult) map[string]string {
	out := map[string]string{}
	for _, n := range r.Notifications {
		out[n.Recipient] = n.Outcome
	}
	return out
}

func (w *world) rows() map[string]store.NotificationRow {
	w.t.Helper()
	return w.rowsOf(w.card.CardID)
}

// rowsOf maps "event/recipient" to the notifications rows of a card.
func (w *world) rowsOf(cardID string) map[string]store.NotificationRow {
	w.t.Helper()
	rows, err := w.store.Notifications(context.Background(), cardID)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]store.NotificationRow{}
	for _, r := range rows {
		out[r.Event+"/"+r.Recipient] = r
	}
	return out
}

type counts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counts) Notification(event, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[event+"/"+outcome]++
}

func (c *counts) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

func recipients(msgs []smtptest.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.To...)
	}
	slices.Sort(out)
	return out
}

func TestRequestedMailsTheEligibleApproversOnce(t *testing.T) {
	w := newWorld(t)
	svc := w.service(w.config())
	var progressed []string
	res, err := svc.Notify(context.Background(), w.card, func(id string) { progressed = append(progressed, id) })
	if err != nil {
		t.Fatal(err)
	}
	if slices.Sort(progressed); !slices.Equal(progressed, []string{"alice", "bernard", "nomail"}) {
		t.Errorf("progress reported %v, want every recipient once", progressed)
	}
	got := outcomes(res)
	want := map[string]string{"alice": "sent", "bernard": "sent", "nomail": "skipped: no e-mail address in the directory"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v (not the requester, the card's user, the inactive or the role-less)", got, want)
	}
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice and bernard", to)
	}

	m := w.smtp.To("alice@example.com")[0]
	subject := m.Header.Get("Subject")
	if subject != "Card request "+w.card.CardID+" for Carol Cole waits for your approval" {
		t.Errorf("subject %q", subject)
	}
	link := "https://cards.example.com/cards/" + w.card.CardID
	if want := "Olivia Operator requested a standard card for Carol Cole"; !strings.Contains(m.Text, want) {
		t.Errorf("text body lacks %q:\n%s", want, m.Text)
	}
	for _, want := range []string{"Hello Alice Archer", "carol@corp.example.com", "2030-01-08 09:30 UTC", link} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
			t.Errorf("text or HTML body lacks %q:\n%s\n%s", want, m.Text, m.HTML)
		}
	}
	if !strings.Contains(m.HTML, `<a href="`+link+`">`) {
		t.Errorf("HTML body lacks the link to the card page:\n%s", m.HTML)
	}
	wantID := "<" + notify.MessageID(store.NotificationKey{CardID: w.card.CardID, Event: "requested", Recipient: "alice"}, "example.com") + ">"
	if got := m.Header.Get("Message-Id"); got != wantID {
		t.Errorf("Message-ID %q, want %q (derived from card, event and recipient)", got, wantID)
	}
	if from := m.Header.Get("From"); !strings.Contains(from, "cards@example.com") {
		t.Errorf("From %q", from)
	}
	t.Logf("messages: %d", len(w.smtp.Messages()))

	// A retried activity (or a replayed workflow) sends nothing again and
	// reports the same outcomes.
	again, err := svc.Notify(context.Background(), w.card, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(outcomes(again)) != fmt.Sprint(want) {
		t.Fatalf("second attempt outcomes %v, want %v", outcomes(again), want)
	}
	if n := len(w.smtp.Messages()); n != 2 {
		t.Fatalf("%d messages after a second attempt, want still 2", n)
	}
	if w.metrics.get("requested/sent") != 2 || w.metrics.get("requested/skipped") != 1 {
		t.Fatalf("metrics %v, want 2 sent and 1 skipped, counted once", w.metrics.n)
	}
}

func TestTemporaryFailureRetriesOnlyThatRecipient(t *testing.T) {
	w := newWorld(t)
	svc := w.service(w.config())
	w.smtp.Refuse("bernard@example.com", 451, "mailbox busy, try later")
	_, err := svc.Notify(context.Background(), w.card, nil)
	if !errors.Is(err, notify.ErrTemporary) || !strings.Contains(err.Error(), "bernard") {
		t.Fatalf("err = %v, want a temporary failure naming bernard", err)
	}
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com"}) {
		t.Fatalf("mailed %v, want alice (handled despite bernard's failure)", to)
	}
	if row := w.rows()["requested/bernard"]; row.Status != store.NotificationRetry || !strings.Contains(row.Error, "451") {
		t.Fatalf("bernard's row %+v, want retry with the 451", row)
	}

	w.smtp.Accept("bernard@example.com")
	res, err := svc.Notify(context.Background(), w.card, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); got["alice"] != "sent" || got["bernard"] != "sent" {
		t.Fatalf("outcomes %v, want both sent", got)
	}
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice once and bernard once", to)
	}
	if row := w.rows()["requested/bernard"]; row.Attempts != 2 {
		t.Fatalf("bernard's attempts %d, want 2", row.Attempts)
	}
	if w.metrics.get("requested/retried") != 1 || w.metrics.get("requested/sent") != 2 {
		t.Fatalf("metrics %v", w.metrics.n)
	}
	t.Logf("messages: %d", len(w.smtp.Messages()))
}

func TestPermanentFailureIsRecordedAndNotRetried(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// An address the library refuses to write: failed before any SMTP.
	if err := w.store.UpsertUserWithRoles(ctx, cards.User{ID: "broken", GivenName: "Bro", Surname: "Ken", Email: "not an address", State: "active", Roles: []string{"approver"}}); err != nil {
		t.Fatal(err)
	}
	svc := w.service(w.config())
	w.smtp.Refuse("bernard@example.com", 550, "no such user")
	for attempt := 1; attempt <= 2; attempt++ {
		res, err := svc.Notify(ctx, w.card, nil)
		if err != nil {
			t.Fatalf("attempt %d: %v (a permanent failure must not fail the activity)", attempt, err)
		}
		got := outcomes(res)
		if got["alice"] != "sent" || !strings.HasPrefix(got["bernard"], "failed: ") || !strings.Contains(got["bernard"], "550") ||
			!strings.HasPrefix(got["broken"], "failed: invalid e-mail address") {
			t.Fatalf("attempt %d: outcomes %v", attempt, got)
		}
	}
	if n := w.smtp.RcptAttempts("bernard@example.com"); n != 1 {
		t.Fatalf("bernard's address tried %d times, want once", n)
	}
	if w.metrics.get("requested/failed") != 2 {
		t.Fatalf("metrics %v, want 2 failed", w.metrics.n)
	}
	t.Logf("messages: %d", len(w.smtp.Messages()))
}

func TestUnreachableServerIsRetriedLater(t *testing.T) {
	w := newWorld(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	cfg := w.config()
	cfg.SMTPURL = "smtp://" + closed + "?tls=none"
	_, err = w.service(cfg).Notify(context.Background(), w.card, nil)
	if !errors.Is(err, notify.ErrTemporary) || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("err = %v, want a retryable error saying the server is not reachable", err)
	}
	// The next attempt (say, after the relay came back) sends to everyone.
	res, err := w.service(w.config()).Notify(context.Background(), w.card, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); got["alice"] != "sent" || got["bernard"] != "sent" {
		t.Fatalf("outcomes %v", got)
	}
	if n := len(w.smtp.Messages()); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
}

func TestAnInterruptedSendIsNeverRepeated(t *testing.T) {
	w := newWorld(t)
	cfg := w.config()
	// The worker dies right after the server took alice's message: its
	// connections to PostgreSQL end before the send is recorded.
	dying, err := store.Open(context.Background(), w.dbURL, store.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg.AfterSend = func(context.Context, store.NotificationKey) { _ = dying.Close() }
	svc, err := notify.New(cfg, dying, w.metrics)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Notify(context.Background(), w.card, nil); err == nil {
		t.Fatal("Notify succeeded although the send could not be recorded")
	}
	if row := w.rows()["requested/alice"]; row.Status != store.NotificationSending {
		t.Fatalf("alice's row %+v, want sending (in doubt)", row)
	}
	res, err := w.service(w.config()).Notify(context.Background(), w.card, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(res)
	if !strings.HasPrefix(got["alice"], "skipped: in doubt") || got["bernard"] != "sent" {
		t.Fatalf("outcomes %v, want alice in doubt (not resent) and bernard sent", got)
	}
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice once and bernard once", to)
	}
	t.Logf("messages: %d", len(w.smtp.Messages()))
}

func TestReminderSkipsApproversWhoActed(t *testing.T) {
	w := newWorld(t)
	in := w.card
	in.Event = cards.NotifyReminder
	in.Acted = []string{"alice"}
	res, err := w.service(w.config()).Notify(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); len(got) != 2 || got["bernard"] != "sent" || got["alice"] != "" {
		t.Fatalf("outcomes %v, want bernard (and nomail skipped), not alice", got)
	}
	m := w.smtp.To("bernard@example.com")[0]
	if s := m.Header.Get("Subject"); !strings.HasPrefix(s, "Reminder: card request "+in.CardID) {
		t.Errorf("subject %q", s)
	}
	for _, want := range []string{"Approved so far by: Alice Archer (1 of 2)", "aborted at 2030-01-08 09:30 UTC"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("reminder lacks %q:\n%s", want, m.Text)
		}
	}
	if refs := m.Header.Get("References"); !strings.Contains(refs, in.CardID+".requested.") {
		t.Errorf("References %q, want the requested e-mail's id (one thread per card)", refs)
	}
}

func TestDecidedMailsTheRequesterAndTheCardsUser(t *testing.T) {
	w := newWorld(t)
	in := w.card
	in.Event = cards.NotifyDecided
	in.Decision = &cards.Decision{To: cards.StateRejected, Actor: "alice", Comment: "no badge budget", At: time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC)}
	res, err := w.service(w.config()).Notify(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); len(got) != 2 || got["olivia"] != "sent" || got["carol"] != "sent" {
		t.Fatalf("outcomes %v, want olivia and carol", got)
	}
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"carol@example.com", "olivia@example.com"}) {
		t.Fatalf("mailed %v", to)
	}
	m := w.smtp.To("carol@example.com")[0]
	if s := m.Header.Get("Subject"); s != "Card request "+in.CardID+" for Carol Cole: rejected" {
		t.Errorf("subject %q", s)
	}
	for _, want := range []string{"is rejected", "Decided by:   Alice Archer", "Comment:      no badge budget", "2030-01-02 10:00 UTC"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("decision e-mail lacks %q:\n%s", want, m.Text)
		}
	}

	// Self-service: requester and user are one person, mailed once; a
	// requester who left the directory is recorded as skipped.
	in.RequestedBy = "carol"
	in.CardID = w.newCard("carol")
	if res, err = w.service(w.config()).Notify(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); len(got) != 1 || got["carol"] != "sent" {
		t.Fatalf("self-service outcomes %v, want carol once", got)
	}
	in.RequestedBy = "ghost"
	in.CardID = w.newCard("ghost")
	if res, err = w.service(w.config()).Notify(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); got["ghost"] != "skipped: not in the directory" || got["carol"] != "sent" {
		t.Fatalf("outcomes %v, want ghost skipped", got)
	}
}

// newCard stores another card for carol, requested by requestedBy.
func (w *world) newCard(requestedBy string) string {
	w.t.Helper()
	id := uuid.NewString()
	if _, _, err := w.store.InsertCard(context.Background(), store.Card{ID: id, UserID: "carol", CardType: "visitor-" + id[:8], CommonName: "Carol Cole",
		State: cards.StateApproved, RequestedBy: requestedBy, WorkflowID: "request-card-" + id}, time.Now()); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func TestBadInputIsRefusedWithoutRetry(t *testing.T) {
	w := newWorld(t)
	svc := w.service(w.config())
	for name, in := range map[string]cards.NotifyInput{
		"unknown event":        {Event: "approved", CardID: w.card.CardID},
		"no card":              {Event: cards.NotifyRequested},
		"decided, no decision": {Event: cards.NotifyDecided, CardID: w.card.CardID},
	} {
		_, err := svc.Notify(context.Background(), in, nil)
		if !errors.Is(err, notify.ErrInvalid) || errors.Is(err, notify.ErrTemporary) {
			t.Errorf("%s: err = %v, want an invalid notification", name, err)
		}
	}
	if n := len(w.smtp.Messages()); n != 0 {
		t.Fatalf("%d messages sent for bad input", n)
	}
}

// An operation's approval (Deactivate card here) asks the approvers the
// rule set allows, keyed by its approval so that a later one is mailed
// again, and tells the requester alone the outcome.
func TestOperationApprovalMailsApproversAndTheRequester(t *testing.T) {
	w := newWorld(t)
	svc := w.service(w.config())
	in := w.card
	in.Operation, in.ApprovalID = "deactivation", "run-1"
	res, err := svc.Notify(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); len(got) != 3 || got["alice"] != "sent" || got["bernard"] != "sent" {
		t.Fatalf("asked %v, want alice, bernard and nomail (skipped)", got)
	}
	m := w.smtp.To("alice@example.com")[0]
	if s := m.Header.Get("Subject"); !strings.HasPrefix(s, "Request to deactivate card") {
		t.Errorf("subject %q", s)
	}
	if want := "Olivia Operator asks to deactivate the standard card of Carol Cole"; !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, "asks to <b>deactivate</b>") {
		t.Errorf("bodies lack %q:\n%s\n%s", want, m.Text, m.HTML)
	}
	if _, ok := w.rowsOf(in.CardID)["deactivation-requested:run-1/alice"]; !ok {
		t.Errorf("rows %v, want one keyed by the approval", w.rowsOf(in.CardID))
	}
	// A second deactivation of the same card, later: mailed again.
	in.ApprovalID = "run-2"
	if res, err = svc.Notify(context.Background(), in, nil); err != nil || outcomes(res)["alice"] != "sent" {
		t.Fatalf("the second approval: %v %v", outcomes(res), err)
	}
	in.Event = cards.NotifyDecided
	in.Decision = &cards.Decision{To: "rejected", Actor: "alice", Comment: "found it", At: time.Now()}
	res, err = svc.Notify(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); len(got) != 1 || got["olivia"] != "sent" {
		t.Fatalf("told %v, want the requester alone", got)
	}
}
