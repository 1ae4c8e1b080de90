package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/pinletter"
	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/store"
)

// PIN delivery methods, the card type's production.pinDelivery.
const (
	// PINByLetter renders a PIN letter for the mail room (the default).
	PINByLetter = "letter"
	// PINByEmail mails the PIN to the holder.
	PINByEmail = "email"
	// PINNotDelivered delivers nothing (the PIN is set some other way).
	PINNotDelivered = "none"
)

// DeliverPINInput delivers the PIN of an issued card. It holds no PIN: the
// activity reads the sealed one itself, so the PIN never enters a history.
type DeliverPINInput struct {
	CardID string `json:"cardId"`
	// Method is the card type's production.pinDelivery: letter, email or
	// none; empty means letter.
	Method string `json:"method"`
}

// PINMailer sends a PIN by e-mail, straight to the holder and never through
// the outbox (internal/notify's Service).
type PINMailer interface {
	SendPIN(ctx context.Context, m notify.PINMail) error
}

// DeliverPIN reads the sealed PIN inside the activity and renders the PIN
// letter (or mails it, or does nothing, per pinDelivery), records the
// delivery, then deletes the sealed PIN; the PUK stays. It returns where
// the PIN went as "<method>: <location>" ("letter: <file>", "email: e-mail
// to <address>", "none"), never the PIN. Once a delivery is recorded a
// retry delivers nothing again and returns the recorded one.
func (a *Activities) DeliverPIN(ctx context.Context, in DeliverPINInput) (string, error) {
	method := in.Method
	if method == "" {
		method = PINByLetter
	}
	if method != PINByLetter && method != PINByEmail && method != PINNotDelivered {
		return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("pinDelivery %q is not one of letter, email, none", in.Method), cards.ErrInvalidInput, nil)
	}
	if done, found, err := a.Store.PINDelivery(ctx, in.CardID); err != nil {
		return "", err
	} else if found {
		// Delivered by an earlier attempt that may have died before the
		// deletion.
		return describePINDelivery(done), a.Store.DeletePIN(ctx, in.CardID)
	}
	d := store.PINDelivery{CardID: in.CardID, Method: method, DeliveredAt: time.Now().UTC()}
	if method != PINNotDelivered {
		location, err := a.sendPIN(ctx, in.CardID, method, d.DeliveredAt)
		if err != nil {
			return "", err
		}
		d.Location = location
	}
	// Recorded before the deletion: a crash between the two leaves a
	// delivered PIN that the retry deletes, never a PIN lost undelivered.
	stored, _, err := a.Store.RecordPINDelivery(ctx, d)
	if err != nil {
		return "", err
	}
	if err := a.Store.DeletePIN(ctx, in.CardID); err != nil {
		return "", err
	}
	if activity.IsActivity(ctx) {
		activity.GetLogger(ctx).Info("PIN delivered", "cardId", in.CardID, "method", stored.Method, "location", stored.Location)
	}
	return describePINDelivery(stored), nil
}

// describePINDelivery is DeliverPIN's result.
func describePINDelivery(d store.PINDelivery) string {
	if d.Location == "" {
		return d.Method
	}
	return d.Method + ": " + d.Location
}

// sendPIN opens the card's PIN and hands it to the holder by letter or
// e-mail; it returns where it went.
func (a *Activities) sendPIN(ctx context.Context, cardID, method string, at time.Time) (string, error) {
	holder, number, err := a.pinRecipient(ctx, cardID)
	if err != nil {
		return "", err
	}
	var mailer PINMailer
	if method == PINByEmail {
		// Checked before the PIN is opened: no PIN in memory for nothing.
		if mailer = a.pinMailer(); mailer == nil {
			return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"card %s: pinDelivery is email but e-mail is off: set CARDS_SMTP_URL and CARDS_MAIL_FROM, or choose pinDelivery letter", cardID), ErrSecretsUnavailable, nil)
		}
		if strings.TrimSpace(holder.Email) == "" {
			return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf(
				"card %s: pinDelivery is email but its holder %s has no e-mail address in the directory", cardID, holder.ID), ErrSecretsUnavailable, nil)
		}
	}
	pin, err := a.openPIN(ctx, cardID)
	if err != nil {
		return "", err
	}
	name := holderName(holder)
	switch method {
	case PINByEmail:
		err := mailer.SendPIN(ctx, notify.PINMail{CardID: cardID, CardNumber: number, Name: name, Email: holder.Email, PIN: pin})
		if err != nil {
			return "", notifyFailure(err)
		}
		return "e-mail to " + holder.Email, nil
	default:
		path, err := pinletter.Write(a.PINLetterDir, pinletter.Letter{
			CardID: cardID, CardNumber: number, HolderName: name, UPN: holder.UPN, Email: holder.Email, PIN: pin, Date: at,
		})
		if err != nil {
			// A folder that is not writable: retried, an operator can fix it.
			return "", err
		}
		return path, nil
	}
}

// pinRecipient reads who gets the card's PIN and the card's number.
func (a *Activities) pinRecipient(ctx context.Context, cardID string) (cards.User, string, error) {
	card, err := a.Store.Card(ctx, cardID)
	if errors.Is(err, store.ErrNoRows) {
		return cards.User{}, "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("card %s does not exist", cardID), cards.ErrCardNotFound, nil)
	}
	if err != nil {
		return cards.User{}, "", err
	}
	number, err := a.Store.CardNumber(ctx, cardID)
	if err != nil {
		return cards.User{}, "", err
	}
	if number == "" {
		return cards.User{}, "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("card %s has no card number yet: its PIN is delivered once it is produced", cardID), cards.ErrInvalidState, nil)
	}
	holder, err := a.Store.User(ctx, card.UserID)
	if errors.Is(err, store.ErrNoRows) {
		return cards.User{}, "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("the holder %s of card %s is not in the user directory", card.UserID, cardID), cards.ErrUserNotFound, nil)
	}
	if err != nil {
		return cards.User{}, "", err
	}
	if holderName(holder) == "" {
		holder.GivenName = card.CommonName
	}
	return holder, number, nil
}

// openPIN reads and opens the card's sealed PIN.
func (a *Activities) openPIN(ctx context.Context, cardID string) (secrets.PIN, error) {
	if a.Secrets == nil {
		return secrets.PIN{}, errNoSecretKeys(cardID)
	}
	sealed, found, err := a.Store.SealedSecret(ctx, cardID, store.SecretPIN)
	if err != nil {
		return secrets.PIN{}, err
	}
	if !found {
		return secrets.PIN{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"card %s has no sealed PIN to deliver (its production made none, or it was deleted): the holder needs a new PIN", cardID), ErrSecretsUnavailable, nil)
	}
	pin, err := a.Secrets.OpenPIN(cardID, sealed)
	if err != nil {
		return secrets.PIN{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrSecretsUnavailable, nil)
	}
	return pin, nil
}

// pinMailer is PINMailer, or the Notifier when it can send PINs.
func (a *Activities) pinMailer() PINMailer {
	if a.PINMailer != nil {
		return a.PINMailer
	}
	if m, ok := a.Notifier.(PINMailer); ok {
		return m
	}
	return nil
}

// holderName is the directory's name of the holder.
func holderName(u cards.User) string {
	return strings.TrimSpace(u.GivenName + " " + u.Surname)
}
