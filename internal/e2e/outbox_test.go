package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/mailpit"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The worker runs the outbox dispatcher when e-mail is on: events queued
// with card writes (as PersistCard and TransitionCard do when their input
// carries Notify) are mailed through Mailpit, once each, and counted in the
// worker's metrics. The card writes here go straight to the store, so the
// test does not depend on the workflow version that queues them.
func TestTheWorkerMailsQueuedEventsThroughMailpit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mp := testkit.Mailpit(t)
	h.startMailWorker(mailConfig(mp.SMTPURL()))
	ctx := context.Background()

	id := uuid.NewString()
	in := activities.NotifyInput{Event: activities.NotifyRequested, CardID: id, UserID: "carl", CardType: "standard",
		CommonName: "Carl Clay", UPN: "carl@example.com", RequestedBy: "olivia", ApproverRole: "approver", ApprovalsRequired: 1}
	if _, _, err := h.store.InsertCardQueuing(ctx, store.Card{ID: id, UserID: "carl", CardType: "standard", CommonName: in.CommonName,
		UPN: in.UPN, State: cards.StateRequested, RequestedBy: "olivia", WorkflowID: "request-card-" + id, ApprovalsRequired: 1},
		time.Now(), outboxEvent(t, in)); err != nil {
		t.Fatal(err)
	}
	queued := time.Now()
	mp.WaitFor(20*time.Second, "two requested e-mails", func(m []mailpit.Message) bool { return len(m) >= 2 })
	requestedAfter := time.Since(queued)

	in.Event = activities.NotifyDecided
	in.Decision = &cards.Decision{To: cards.StateApproved, Actor: "alice", Comment: "badge office confirmed", At: time.Now()}
	if _, _, err := h.store.TransitionCard(ctx, store.Transition{CardID: id, To: cards.StateApproved, Actor: "alice",
		Comment: in.Decision.Comment, At: in.Decision.At, Notify: outboxEvent(t, in)}); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(20*time.Second, "four e-mails", func(m []mailpit.Message) bool { return len(m) >= 4 })
	want := "map[alice@example.com:1 bernard@example.com:1 carl@example.com:1 olivia@example.com:1]"
	if got := fmt.Sprint(mp.Count(nil)); got != want {
		t.Fatalf("e-mails %s, want %s", got, want)
	}
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		var left int
		if err := h.store.DB.Get(&left, `SELECT count(*) FROM notification_outbox`); err != nil {
			t.Fatal(err)
		}
		return left == 0, fmt.Sprintf("%d events still queued after their e-mails went out", left)
	})
	metrics := scrape(t, h.metricsURL)
	for _, line := range []string{
		`cardflow_outbox_events_total{event="requested",outcome="handled"} 1`,
		`cardflow_outbox_events_total{event="decided",outcome="handled"} 1`,
		`cardflow_notifications_total{event="decided",outcome="sent"} 2`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %s:\n%s", line, grepLines(metrics, "cardflow_outbox"))
		}
	}
	rows := h.notificationRows(id)
	if len(rows) != 4 || rows["decided/olivia"].Status != store.NotificationSent {
		t.Fatalf("notifications rows %v", rows)
	}
	t.Logf("requested e-mails in Mailpit %s after the card write (the worker polls the outbox every second; a poke from its own activities is immediate)", requestedAfter.Round(time.Millisecond))
}

func outboxEvent(t *testing.T, in activities.NotifyInput) *store.OutboxEvent {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return &store.OutboxEvent{Event: in.Event, Input: raw}
}
