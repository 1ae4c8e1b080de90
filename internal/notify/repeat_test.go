package notify_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
)

// queueHolder queues the holder's e-mail of event for the world's card, as
// a card write does.
func (w *world) queueHolder(event string, to cards.State) {
	w.t.Helper()
	in := w.card
	in.Event, in.CardNumber = event, "C0000000018"
	in.Decision = &cards.Decision{To: to, Actor: "olivia", At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	raw, err := json.Marshal(in)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.store.DB.Exec(`INSERT INTO notification_outbox (card_id, event, input) VALUES ($1, $2, $3)`, in.CardID, event, raw); err != nil {
		w.t.Fatal(err)
	}
}

// Each reactivation's e-mail (reactivated:<run>) goes to the holder with
// the reactivated template and subject, threaded under the issued e-mail,
// with a Message-ID of its own, recorded under its own key and counted as
// reactivated; an event queued before the keys (plain reactivated) is
// still sent; the same reactivation queued again sends nothing twice.
func TestEachReactivationIsMailedOnce(t *testing.T) {
	w := newWorld(t)
	first := cards.OperationEvent(cards.NotifyReactivated, "run-1")
	second := cards.OperationEvent(cards.NotifyReactivated, "run-2")
	for _, event := range []string{cards.NotifyReactivated, first, second} {
		w.queueHolder(event, cards.StateActive)
	}
	svc := w.service(w.config())
	stop := run(t, svc.Dispatcher(notify.DispatcherOptions{Poll: 50 * time.Millisecond}))
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.Messages()) >= 3 }) {
		t.Fatalf("%d messages, want 3", len(w.smtp.Messages()))
	}
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })

	// The same reactivation again (an outbox row cannot be queued twice
	// while it waits, but the notifications table is the last word).
	w.queueHolder(second, cards.StateActive)
	waitFor(t, 5*time.Second, "outbox emptied again", func() bool { return w.outbox() == 0 })
	stop()

	msgs := w.smtp.To("carol@example.com")
	if len(msgs) != 3 || len(w.smtp.Messages()) != 3 {
		t.Fatalf("%d e-mails to carol (%d in all), want 3: one per reactivation", len(msgs), len(w.smtp.Messages()))
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		if s := m.Header.Get("Subject"); s != "Your standard card C0000000018 is active again" {
			t.Errorf("subject %q", s)
		}
		if !strings.Contains(m.Text, "is active again") || !strings.Contains(m.Text, "Reactivated by: Olivia Operator") {
			t.Errorf("body is not the reactivated template's:\n%s", m.Text)
		}
		if ref := m.Header.Get("References"); !strings.Contains(ref, w.card.CardID+".issued.") {
			t.Errorf("References %q, want the issued e-mail's thread", ref)
		}
		ids[m.Header.Get("Message-Id")] = true
	}
	if len(ids) != 3 {
		t.Errorf("Message-IDs %v, want one per reactivation", ids)
	}
	rows := w.rows()
	for _, event := range []string{cards.NotifyReactivated, first, second} {
		if r, ok := rows[event+"/carol"]; !ok || r.Status != "sent" {
			t.Errorf("row %s/carol: %+v (found %v)", event, r, ok)
		}
	}
	if len(rows) != 3 {
		t.Errorf("rows %v, want three", rows)
	}
	if got := w.metrics.get("reactivated/sent"); got != 3 {
		t.Errorf("reactivated/sent %d, want 3 (the kind is the metric's label): %v", got, w.metrics.n)
	}
	if got := w.metrics.get("outbox/reactivated/handled"); got != 4 {
		t.Errorf("outbox/reactivated/handled %d, want 4: %v", got, w.metrics.n)
	}
	for _, r := range rows {
		if n := r.Notification(); cards.EventLabel(n.Event) != cards.NotifyReactivated {
			t.Errorf("row %s reads as %q", r.Event, cards.EventLabel(n.Event))
		}
	}
}
