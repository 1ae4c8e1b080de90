package activities_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
)

// mailOn is a Notifier that sends nothing: with it, e-mail counts as on and
// the card writes queue their events.
type mailOn struct{}

func (mailOn) Notify(context.Context, activities.NotifyInput, func(string)) (activities.NotifyResult, error) {
	return activities.NotifyResult{}, nil
}

// queuedInput reads the NotifyInput queued for card and event; ok is false
// when none is queued.
func (w *world) queuedInput(cardID, event string) (in activities.NotifyInput, ok bool) {
	w.t.Helper()
	var raw []byte
	err := w.store.DB.Get(&raw, `SELECT input FROM notification_outbox WHERE card_id = $1 AND event = $2`, cardID, event)
	if err != nil {
		return in, false
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		w.t.Fatal(err)
	}
	return in, true
}

// PersistCard and TransitionCard queue the e-mail of their event with the
// card write: once however often Temporal runs them, with the card id, the
// event and the decision filled in, and poking the dispatcher once each.
func TestCardWritesQueueTheirNotificationOnce(t *testing.T) {
	w := newWorld(t, testPolicy)
	w.acts.Notifier = mailOn{}
	pokes := 0
	w.acts.OnQueued = func() { pokes++ }
	id := uuid.NewString()
	expires := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	in := persistInput(id, "ada", "standard", cards.StateRequested)
	in.Notify = &activities.NotifyInput{UserID: "ada", CardType: "standard", RequestedBy: "olivia", ApproverRole: "approver", ExpiresAt: &expires}
	writes0, _ := w.store.Counts()
	for range 2 {
		if _, err := w.env.ExecuteActivity(w.acts.PersistCard, in); err != nil {
			t.Fatal(err)
		}
	}
	got, ok := w.queuedInput(id, activities.NotifyRequested)
	if !ok || got.CardID != id || got.Event != activities.NotifyRequested || got.ApproverRole != "approver" || !got.ExpiresAt.Equal(expires) {
		t.Fatalf("queued requested input %+v (found %v)", got, ok)
	}

	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	decide := activities.TransitionCardInput{CardID: id, To: cards.StateRejected, Actor: "bob", Comment: "no budget", At: at,
		Notify: &activities.NotifyInput{UserID: "ada", RequestedBy: "olivia"}}
	for range 2 {
		if _, err := w.env.ExecuteActivity(w.acts.TransitionCard, decide); err != nil {
			t.Fatal(err)
		}
	}
	got, ok = w.queuedInput(id, activities.NotifyDecided)
	want := cards.Decision{To: cards.StateRejected, Actor: "bob", Comment: "no budget", At: at}
	if !ok || got.CardID != id || got.Decision == nil || !got.Decision.At.Equal(at) || got.Decision.To != want.To || got.Decision.Comment != want.Comment {
		t.Fatalf("queued decided input %+v (found %v)", got, ok)
	}
	if n := w.count(`SELECT count(*) FROM notification_outbox WHERE card_id = $1`, id); n != 2 {
		t.Fatalf("%d queued events, want requested and decided once each", n)
	}
	if pokes != 2 {
		t.Fatalf("dispatcher poked %d times, want once per write that queued", pokes)
	}
	if writes, _ := w.store.Counts(); writes-writes0 != 2 {
		t.Fatalf("%d write transactions for 2 state changes", writes-writes0)
	}
}

// Without Notify, or with e-mail off in this worker, nothing is queued:
// a row no dispatcher will ever send would only pile up.
func TestNothingIsQueuedWithoutNotifyOrWithoutEmail(t *testing.T) {
	w := newWorld(t, testPolicy)
	plain := persistInput(uuid.NewString(), "ada", "standard", cards.StateRequested)
	w.acts.Notifier = mailOn{}
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, plain); err != nil {
		t.Fatal(err)
	}
	w.acts.Notifier = nil
	off := persistInput(uuid.NewString(), "ada", "visitor", cards.StateApproved)
	off.Notify = &activities.NotifyInput{}
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, off); err != nil {
		t.Fatal(err)
	}
	if n := w.count(`SELECT count(*) FROM notification_outbox`); n != 0 {
		t.Fatalf("%d events queued", n)
	}
}

// A Notify the dispatcher could never send is a bug in the caller: it is
// refused without retry, before the card is written.
func TestAnInvalidNotifyIsRefusedBeforeTheWrite(t *testing.T) {
	w := newWorld(t, testPolicy)
	w.acts.Notifier = mailOn{}
	id := uuid.NewString()
	in := persistInput(id, "ada", "standard", cards.StateRequested)
	for name, n := range map[string]*activities.NotifyInput{
		"unknown event":   {Event: "approved"},
		"another card":    {CardID: uuid.NewString()},
		"no decision yet": {Event: activities.NotifyDecided},
	} {
		in.Notify = n
		_, err := w.env.ExecuteActivity(w.acts.PersistCard, in)
		if errType(err) != activities.ErrInvalidNotification || !nonRetryable(err) {
			t.Errorf("%s: err = %v, want a non-retryable %s", name, err, activities.ErrInvalidNotification)
		}
	}
	if n := w.count(`SELECT count(*) FROM cards WHERE id = $1`, id); n != 0 {
		t.Fatal("card written despite an invalid Notify")
	}
}

// The card, its audit event and its queued e-mail are one transaction:
// when the outbox cannot be written, neither is the card.
func TestCardAndQueuedNotificationAreAtomic(t *testing.T) {
	w := newWorld(t, testPolicy)
	w.acts.Notifier = mailOn{}
	id := uuid.NewString()
	in := persistInput(id, "ada", "standard", cards.StateRequested)
	in.Notify = &activities.NotifyInput{}
	if _, err := w.store.DB.Exec(`ALTER TABLE notification_outbox RENAME TO notification_outbox_away`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, in); err == nil {
		t.Fatal("persist succeeded without an outbox")
	}
	if n := w.count(`SELECT count(*) FROM cards WHERE id = $1`, id); n != 0 {
		t.Fatal("card written without its queued e-mail")
	}
	if _, err := w.store.DB.Exec(`ALTER TABLE notification_outbox_away RENAME TO notification_outbox`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.ExecuteActivity(w.acts.PersistCard, in); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.queuedInput(id, activities.NotifyRequested); !ok {
		t.Fatal("nothing queued once the outbox was back")
	}
}
