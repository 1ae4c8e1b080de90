package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/store"
)

// PINMail is the e-mail that takes a card's PIN to its holder when the card
// type's pinDelivery is email.
type PINMail struct {
	CardID     string
	CardNumber string
	// Name and Email are the holder's, from the directory.
	Name  string
	Email string
	PIN   secrets.PIN
}

// PINSubject is the PIN e-mail's subject: the card number only, never the
// PIN (subjects show in mailbox lists, previews and mail logs).
func PINSubject(cardNumber string) string { return "Your PIN for card " + cardNumber }

// SendPIN mails the PIN to the holder, straight over SMTP: not through the
// outbox, whose rows must never hold a PIN, and not recorded in the
// notifications table (the caller records the delivery). Its Message-ID is
// derived from the card, so a receiving system can drop the copy a retry
// sends. Errors: ErrInvalid when the message cannot be sent (an address the
// server or the library refuses for good), ErrTemporary otherwise (a 4xx, a
// connection that broke; sending the same PIN again is the lesser harm).
// No error message holds the PIN.
func (s *Service) SendPIN(ctx context.Context, m PINMail) error {
	if m.PIN.Reveal() == "" || m.CardID == "" || m.CardNumber == "" {
		return &failure{ErrInvalid, fmt.Sprintf("PIN e-mail of card %q: the card id, its number and the PIN are all needed", m.CardID)}
	}
	if strings.TrimSpace(m.Email) == "" {
		return &failure{ErrInvalid, fmt.Sprintf("PIN e-mail of card %s: the holder has no e-mail address in the directory", m.CardID)}
	}
	msg, err := s.pinMessage(m)
	if err != nil {
		return &failure{ErrInvalid, fmt.Sprintf("PIN e-mail of card %s: %v", m.CardID, err)}
	}
	conn := &connection{service: s}
	defer conn.close()
	client, err := conn.get(ctx)
	if err != nil {
		return &failure{ErrTemporary, fmt.Sprintf("PIN e-mail of card %s: %v", m.CardID, err)}
	}
	stopWatch := conn.abortOnStop(ctx)
	err = s.client.SendWithSMTPClient(client, msg)
	stopWatch()
	if msg.IsDelivered() {
		return nil
	}
	status, reason := classify(err)
	switch status {
	case store.NotificationSent:
		return nil
	case store.NotificationFailed:
		return &failure{ErrInvalid, fmt.Sprintf("PIN e-mail of card %s to %s: %s", m.CardID, m.Email, reason)}
	}
	return &failure{ErrTemporary, fmt.Sprintf("PIN e-mail of card %s to %s: %s", m.CardID, m.Email, reason)}
}

// pinMessage builds the PIN e-mail: plain text only, the PIN in the body.
func (s *Service) pinMessage(m PINMail) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(s.from.Name, s.from.Address); err != nil {
		return nil, fmt.Errorf("sender %s: %w", s.from.Address, err)
	}
	if err := msg.AddToFormat(m.Name, m.Email); err != nil {
		return nil, fmt.Errorf("invalid e-mail address %q: %w", m.Email, err)
	}
	msg.Subject(PINSubject(m.CardNumber))
	msg.SetMessageIDWithValue(fmt.Sprintf("%s.pin@%s", m.CardID, s.domain))
	msg.SetDateWithValue(time.Now())
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, pinText(m))
	return msg, nil
}

// pinText is the PIN e-mail's body.
func pinText(m PINMail) string {
	name := m.Name
	if name == "" {
		name = m.Email
	}
	return fmt.Sprintf(`Hello %s,

your card %s is on its way to you separately. Its PIN is:

    %s

Learn it, then delete this e-mail. Never tell anyone your PIN; the card
office will never ask you for it.

The PUK, which unblocks the card after too many wrong PINs, is kept by the
card office. If your card is blocked, ask the card office to unblock it.

This e-mail was sent automatically.
`, name, m.CardNumber, m.PIN.Reveal())
}
