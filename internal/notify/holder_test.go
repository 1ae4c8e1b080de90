package notify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
)

// The issued and activated e-mails go to the card's holder alone (not the
// operator who requested it), name the card by its number, say what to do
// next and how the PIN travels, and never hold a PIN.
func TestHolderIsMailedWhenTheCardIsIssuedAndActivated(t *testing.T) {
	w := newWorld(t)
	svc := w.service(w.config())
	validUntil := time.Date(2029, 12, 1, 9, 0, 0, 0, time.UTC)
	in := w.card
	in.Event = cards.NotifyIssued
	in.CardNumber, in.ValidUntil, in.PINDelivery = "C0000000018", &validUntil, "letter"
	in.Decision = &cards.Decision{To: cards.StateIssued, Actor: "olivia", At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	res, err := svc.Notify(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); len(got) != 1 || got["carol"] != "sent" {
		t.Fatalf("issued outcomes %v, want carol alone", got)
	}
	m := w.smtp.To("carol@example.com")[0]
	if s := m.Header.Get("Subject"); s != "Your standard card C0000000018 is issued" {
		t.Errorf("subject %q", s)
	}
	for _, want := range []string{"Card number:  C0000000018", "Valid until:  2029-12-01 09:00 UTC", "Issued by:    Olivia Operator",
		"PIN letter of its own", "card office activates it", "never contains your PIN"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("issued e-mail lacks %q:\n%s", want, m.Text)
		}
	}
	if !strings.Contains(m.HTML, "PIN letter of its own") {
		t.Errorf("issued HTML lacks the PIN letter:\n%s", m.HTML)
	}
	in.Event, in.PINDelivery = cards.NotifyActivated, ""
	in.Decision.To = cards.StateActive
	if res, err = svc.Notify(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); len(got) != 1 || got["carol"] != "sent" {
		t.Fatalf("activated outcomes %v, want carol alone", got)
	}
	msgs := w.smtp.To("carol@example.com")
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails to carol, want 2", len(msgs))
	}
	a := msgs[1]
	if s := a.Header.Get("Subject"); s != "Your standard card C0000000018 is active" {
		t.Errorf("subject %q", s)
	}
	if !strings.Contains(a.Text, "is now active") || !strings.Contains(a.Text, "locked at once") || !strings.Contains(a.Header.Get("References"), in.CardID+".issued.") {
		t.Errorf("activated e-mail:\n%v\n%s", a.Header, a.Text)
	}
	// A holder event without the holder cannot be sent.
	in.UserID = ""
	if _, err := svc.Notify(context.Background(), in, nil); err == nil || !strings.Contains(err.Error(), "without the card's holder") {
		t.Fatalf("no holder: %v", err)
	}
}
