package startercmd

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// E-mails sent by the worker's outbox dispatcher are not in the workflow's
// status: `starter status` lists them from the notifications table, unless
// the status has its own, the card was never written, or the request waits
// for infrastructure; a database that does not answer leaves the status
// as it is, without a long wait.
func TestStatusListsTheEmailsFromTheNotificationsTable(t *testing.T) {
	ctx := context.Background()
	st, dbURL := testkit.Store(t, cards.User{ID: "carl", State: "active"})
	id := uuid.NewString()
	if _, _, err := st.InsertCard(ctx, store.Card{ID: id, UserID: "carl", CardType: "standard", State: cards.StateRequested,
		RequestedBy: "olivia", WorkflowID: "request-card-" + id, ApprovalsRequired: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	sent := store.NotificationKey{CardID: id, Event: "requested", Recipient: "alice"}
	doubt := store.NotificationKey{CardID: id, Event: "requested", Recipient: "bernard"}
	claim := store.NewClaim()
	for _, k := range []store.NotificationKey{sent, doubt} {
		if _, _, err := st.ClaimNotification(ctx, k, k.Recipient+"@example.com", k.Recipient+"@example.com", claim); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RecordNotification(ctx, sent, claim, store.NotificationSent, "", nil); err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: ctx, g: &Globals{Database: cliparse.Database{DatabaseURL: dbURL}}}

	s := cards.Status{ID: id, State: cards.StateRequested}
	e.storedNotifications(ctx, &s)
	got := map[string]string{}
	for _, n := range s.Notifications {
		got[n.Event+"/"+n.Recipient] = n.Outcome
	}
	if len(got) != 2 || got["requested/alice"] != "sent" || !strings.HasPrefix(got["requested/bernard"], "skipped: in doubt") {
		t.Fatalf("notifications %v", got)
	}

	for name, s := range map[string]cards.Status{
		"the workflow's own":  {ID: id, State: cards.StateRequested, Notifications: []cards.Notification{{Event: "requested", Recipient: "x", Outcome: "sent"}}},
		"never written":       {ID: id, State: cards.StateRefused},
		"waiting for outages": {ID: id, State: cards.StateRequested, Waiting: "waiting: PostgreSQL unreachable"},
	} {
		before := len(s.Notifications)
		e.storedNotifications(ctx, &s)
		if len(s.Notifications) != before {
			t.Errorf("%s: notifications %v", name, s.Notifications)
		}
	}

	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = closedAddress(t)
	down := &env{ctx: ctx, g: &Globals{Database: cliparse.Database{DatabaseURL: u.String()}}}
	s = cards.Status{ID: id, State: cards.StateApproved}
	start := time.Now()
	down.storedNotifications(ctx, &s)
	if took := time.Since(start); s.Notifications != nil || took > 3*time.Second {
		t.Fatalf("database down: notifications %v after %s", s.Notifications, took)
	}
}
