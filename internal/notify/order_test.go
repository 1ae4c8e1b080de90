package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/store"
)

// The operator who started a batch order is mailed once when it waits for
// them (per round: a Repeat production that fails again waits again) and
// once when it completes, through the outbox the Order workflow's
// SetOrderState activity fills: a retried activity, or the same state
// again, queues and sends nothing twice.
func TestOperatorIsMailedWhenAnOrderWaitsAndCompletes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	svc := w.service(w.config())
	act := &activities.Activities{Store: w.store, Notifier: svc}
	id := uuid.NewString()
	at := time.Now()
	items := []store.NewOrderItem{{CardID: uuid.NewString(), State: store.ItemPending}, {CardID: uuid.NewString(), State: store.ItemPending},
		{CardID: uuid.NewString(), State: store.ItemSkipped, Reason: "card is requested"}}
	if _, _, err := w.store.CreateOrder(ctx, store.Order{ID: id, Kind: store.OrderIssue, CreatedBy: "olivia", CreatedAt: at, WorkflowID: "order-" + id}, items); err != nil {
		t.Fatal(err)
	}
	end := func(round int, states ...string) {
		t.Helper()
		var ended []store.ItemEnd
		for i, s := range states {
			if s != "" {
				ended = append(ended, store.ItemEnd{Seq: i + 1, State: s, Reason: map[string]string{store.ItemFailed: "printer jammed"}[s]})
			}
		}
		if _, err := w.store.RecordOrderProgress(ctx, id, store.OrderProgress{Ended: ended, Round: round, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	set := func(state string) {
		t.Helper()
		if _, err := act.SetOrderState(ctx, activities.SetOrderStateInput{OrderID: id, State: state, At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	queued := func() []string {
		t.Helper()
		var events []string
		if err := w.store.DB.Select(&events, `SELECT event FROM notification_outbox WHERE card_id = $1 ORDER BY created_at, event`, id); err != nil {
			t.Fatal(err)
		}
		return events
	}

	// Round 0: one done, one failed: the order waits; the activity run
	// twice (a retry) queues one e-mail.
	end(0, store.ItemDone, store.ItemFailed)
	set(store.OrderWaiting)
	set(store.OrderWaiting)
	if got := strings.Join(queued(), ","); got != "order-waiting-0" {
		t.Fatalf("queued %q, want order-waiting-0 once", got)
	}
	stop := run(t, svc.Dispatcher(notify.DispatcherOptions{Poll: 50 * time.Millisecond}))
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.To("olivia@example.com")) == 1 }) {
		t.Fatalf("%d e-mails to olivia, want the waiting one", len(w.smtp.To("olivia@example.com")))
	}
	m := w.smtp.To("olivia@example.com")[0]
	if s := m.Header.Get("Subject"); s != "Your order "+id[:8]+" waits for you: 1 of 3 cards failed" {
		t.Errorf("subject %q", s)
	}
	for _, want := range []string{"Repeat their production", "https://cards.example.com/orders/" + id, "Failed:   1"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("waiting e-mail lacks %q:\n%s", want, m.Text)
		}
	}

	// Round 1 (Repeat production) fails again: a second waiting e-mail.
	if _, _, err := w.store.RepeatFailedItems(ctx, id, 1, "station-2", time.Now()); err != nil {
		t.Fatal(err)
	}
	end(1, "", store.ItemFailed)
	set(store.OrderWaiting)
	// Complete order: one completed e-mail, however often it is written.
	set(store.OrderCompleted)
	set(store.OrderCompleted)
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.To("olivia@example.com")) >= 3 }) {
		t.Fatalf("%d e-mails to olivia, want 3", len(w.smtp.To("olivia@example.com")))
	}
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return len(queued()) == 0 })
	// The same events handed to the service again send nothing.
	in := cards.NotifyInput{Event: cards.OrderEvent(cards.NotifyOrderCompleted, 1), CardID: id, RequestedBy: "olivia",
		Order: &cards.OrderNotice{Kind: store.OrderIssue, Round: 1, Total: 3, Done: 1, Failed: 1, Skipped: 1}}
	if _, err := svc.Notify(ctx, in, nil); err != nil {
		t.Fatal(err)
	}
	stop()
	msgs := w.smtp.To("olivia@example.com")
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, m.Header.Get("Subject"))
	}
	want := []string{
		"Your order " + id[:8] + " waits for you: 1 of 3 cards failed",
		"Your order " + id[:8] + " waits for you: 1 of 3 cards failed",
		"Your order " + id[:8] + " is complete: 1 of 3 done",
	}
	if strings.Join(subjects, "|") != strings.Join(want, "|") {
		t.Fatalf("e-mails to olivia:\n%s\nwant:\n%s", strings.Join(subjects, "\n"), strings.Join(want, "\n"))
	}
	for mid, n := range w.messageIDs() {
		if n != 1 {
			t.Errorf("message %s sent %d times", mid, n)
		}
	}
	if len(w.smtp.Messages()) != 3 {
		t.Fatalf("%d e-mails in all, want olivia's 3", len(w.smtp.Messages()))
	}
	rows := w.rowsOf(id)
	for _, k := range []string{"order-waiting-0/olivia", "order-waiting-1/olivia", "order-completed-1/olivia"} {
		if rows[k].Status != "sent" {
			t.Errorf("notification %s: %+v", k, rows[k])
		}
	}
}

// Without e-mail (no Notifier) SetOrderState queues nothing; a request
// order that completes is mailed like an issue order.
func TestOrderEMailNeedsANotifier(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := uuid.NewString()
	if _, _, err := w.store.CreateOrder(ctx, store.Order{ID: id, Kind: store.OrderRequest, CreatedBy: "olivia", CreatedAt: time.Now(), WorkflowID: "order-" + id},
		[]store.NewOrderItem{{UserID: "carol", CardID: uuid.NewString(), State: store.ItemSkipped, Reason: "user is not active"}}); err != nil {
		t.Fatal(err)
	}
	off := &activities.Activities{Store: w.store}
	if _, err := off.SetOrderState(ctx, activities.SetOrderStateInput{OrderID: id, State: store.OrderCompleted, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := w.outbox(); n != 0 {
		t.Fatalf("%d rows queued with e-mail off", n)
	}
	if !cards.IsNotifyEvent("order-waiting-3") || cards.IsNotifyEvent("order-waiting") || cards.IsNotifyEvent("order-waiting-x") {
		t.Fatal("order events: the kind alone, or a round that is no number, must not be events")
	}
}
