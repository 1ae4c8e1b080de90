package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
)

// Each expiry reminder is its own event (expiring-<mark>), mailed to the
// holder alone once; the expired e-mail too. The subject says when.
func TestHolderIsMailedBeforeAndWhenTheCardExpires(t *testing.T) {
	w := newWorld(t)
	svc := w.service(w.config())
	validUntil := time.Date(2029, 12, 1, 9, 0, 0, 0, time.UTC)
	in := w.card
	in.CardNumber, in.ValidUntil = "C0000000018", &validUntil
	for _, mark := range []string{"1440h", "168h", "daily-2029-11-28", "168h"} {
		in.Event, in.DaysLeft = cards.ExpiringEvent(mark), 7
		res, err := svc.Notify(context.Background(), in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(res); len(got) != 1 || got["carol"] == "" {
			t.Fatalf("%s outcomes %v, want carol alone", mark, got)
		}
	}
	msgs := w.smtp.To("carol@example.com")
	if len(msgs) != 3 {
		t.Fatalf("%d e-mails to carol, want 3 (one per mark, the repeated 168h not again)", len(msgs))
	}
	m := msgs[0]
	if s := m.Header.Get("Subject"); s != "Your standard card C0000000018 expires on 2029-12-01 09:00 UTC" {
		t.Errorf("subject %q", s)
	}
	if !strings.Contains(m.Text, "(in 7 days)") || !strings.Contains(m.HTML, "expires on 2029-12-01 09:00 UTC") {
		t.Errorf("reminder:\n%s\n%s", m.Text, m.HTML)
	}
	in.Event, in.DaysLeft = cards.NotifyExpired, 0
	if _, err := svc.Notify(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	msgs = w.smtp.To("carol@example.com")
	if len(msgs) != 4 || msgs[3].Header.Get("Subject") != "Your standard card C0000000018 has expired" {
		t.Fatalf("expired e-mail: %d e-mails, last %q", len(msgs), msgs[len(msgs)-1].Header.Get("Subject"))
	}
	// The bare kind is no event of its own.
	in.Event = cards.NotifyExpiring
	if _, err := svc.Notify(context.Background(), in, nil); err == nil {
		t.Fatal("an expiring event without a mark was sent")
	}
}
