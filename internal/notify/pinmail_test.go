package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/secrets"
)

// The PIN e-mail carries the PIN in its body only; a refusal is permanent
// (5xx) or temporary (4xx) as for any e-mail, and no error shows the PIN.
func TestSendPINPutsThePINInTheBodyAndNoError(t *testing.T) {
	w := newWorld(t)
	svc := w.service(w.config())
	pin, err := secrets.NewPINFrom(strings.NewReader("\x09\x07\x05\x03\x01\x08"), 0)
	if err != nil {
		t.Fatal(err)
	}
	m := notify.PINMail{CardID: w.card.CardID, CardNumber: "C0000000018", Name: "Carol Cole", Email: "carol@example.com", PIN: pin}
	if err := svc.SendPIN(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msgs := w.smtp.To("carol@example.com")
	if len(msgs) != 1 || msgs[0].Header.Get("Subject") != notify.PINSubject("C0000000018") ||
		!strings.Contains(msgs[0].Text, "975318") || strings.Contains(msgs[0].Header.Get("Subject"), "975318") {
		t.Fatalf("PIN e-mail: %+v", msgs)
	}
	if got := msgs[0].Header.Get("Message-Id"); got != "<"+w.card.CardID+".pin@example.com>" {
		t.Errorf("Message-ID %q, want one derived from the card", got)
	}
	for _, tc := range []struct {
		code int
		kind error
	}{{550, notify.ErrInvalid}, {451, notify.ErrTemporary}} {
		w.smtp.Refuse("carol@example.com", tc.code, "no")
		err := svc.SendPIN(context.Background(), m)
		if !errors.Is(err, tc.kind) || strings.Contains(err.Error(), "975318") {
			t.Errorf("refused with %d: %v, want %v without the PIN", tc.code, err, tc.kind)
		}
	}
	m.Email = ""
	if err := svc.SendPIN(context.Background(), m); !errors.Is(err, notify.ErrInvalid) {
		t.Errorf("no address: %v", err)
	}
	m.Email, m.PIN = "carol@example.com", secrets.PIN{}
	if err := svc.SendPIN(context.Background(), m); !errors.Is(err, notify.ErrInvalid) {
		t.Errorf("no PIN: %v", err)
	}
}
