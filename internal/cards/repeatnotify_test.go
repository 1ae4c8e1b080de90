package cards_test

import (
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
)

// A reactivation's e-mail is keyed by its run; everything that reads the
// event by kind (templates, recipients, metrics, the outbox's check) sees
// reactivated, and only the repeatable events take a key.
func TestOperationEventsReadAsTheirKind(t *testing.T) {
	ev := cards.OperationEvent(cards.NotifyReactivated, "0190e2b5-7c1a-7e4b-9a55-3f0c2d7e8a11")
	if ev != "reactivated:0190e2b5-7c1a-7e4b-9a55-3f0c2d7e8a11" {
		t.Fatalf("event %q", ev)
	}
	for _, e := range []string{ev, "reactivated:run-2", cards.NotifyReactivated} {
		if !cards.IsNotifyEvent(e) || cards.NotifyKind(e) != cards.NotifyReactivated || !cards.IsHolderEvent(e) || cards.EventLabel(e) != cards.NotifyReactivated {
			t.Errorf("%q: notify event %v, kind %q, holder's %v, label %q", e, cards.IsNotifyEvent(e), cards.NotifyKind(e), cards.IsHolderEvent(e), cards.EventLabel(e))
		}
	}
	for _, e := range []string{"reactivated:", "locked:run-1", "activated:run-1", "issued:run-1", "deactivated:run-1", "reactivated-run-1"} {
		if cards.IsNotifyEvent(e) {
			t.Errorf("%q counts as a notification event", e)
		}
	}
	for e, label := range map[string]string{
		"deactivation-requested:run-1": "deactivation-requested", "locked": "locked",
		"expiring-daily-2029-11-20": "expiring-daily-2029-11-20", "order-waiting-2": "order-waiting-2",
	} {
		if got := cards.EventLabel(e); got != label {
			t.Errorf("label of %q: %q, want %q", e, got, label)
		}
	}
}
