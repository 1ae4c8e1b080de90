package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// timeLayout shows times in the e-mails: minutes are precise enough, and UTC
// says which zone without knowing the reader's.
const timeLayout = "2006-01-02 15:04 UTC"

// MessageID is the Message-ID of the e-mail named by key (without the angle
// brackets): derived from the key, so every attempt at the same e-mail
// carries the same id and a receiving system can drop a duplicate. The
// recipient is hashed: the header shows no user id.
func MessageID(key store.NotificationKey, domain string) string {
	sum := sha256.Sum256([]byte(key.Recipient))
	return fmt.Sprintf("%s.%s.%s@%s", key.CardID, key.Event, hex.EncodeToString(sum[:8]), domain)
}

// subject holds no personal data beyond the card id and the display name
// of the card's user.
func subject(d MessageData) string {
	if d.Operation != "" {
		// An operation's approval (the shared approval process).
		switch d.Event {
		case cards.NotifyRequested:
			return fmt.Sprintf("Request to %s card %s of %s waits for your approval", d.Operation, d.cardName(), d.UserName)
		case cards.NotifyReminder:
			return fmt.Sprintf("Reminder: request to %s card %s of %s still waits for your approval", d.Operation, d.cardName(), d.UserName)
		case cards.NotifyDecided:
			return fmt.Sprintf("Request to %s card %s of %s: %s", d.Operation, d.cardName(), d.UserName, d.Decision.State)
		}
	}
	switch cards.NotifyKind(d.Event) {
	case cards.NotifyOrderWaiting:
		return fmt.Sprintf("Your order %s waits for you: %d of %d cards failed", shortOrderID(d), d.Order.Failed, d.Order.Total)
	case cards.NotifyOrderCompleted:
		return fmt.Sprintf("Your order %s is complete: %d of %d done", shortOrderID(d), d.Order.Done, d.Order.Total)
	case cards.NotifyExpiring:
		return fmt.Sprintf("Your %s card %s expires on %s", d.CardType, d.cardName(), d.ValidUntil)
	case cards.NotifyExpired:
		return fmt.Sprintf("Your %s card %s has expired", d.CardType, d.cardName())
	case cards.NotifyRequested:
		return fmt.Sprintf("Card request %s for %s waits for your approval", d.CardID, d.UserName)
	case cards.NotifyReminder:
		return fmt.Sprintf("Reminder: card request %s for %s still waits for your approval", d.CardID, d.UserName)
	case cards.NotifyIssued:
		return fmt.Sprintf("Your %s card %s is issued", d.CardType, d.cardName())
	case cards.NotifyActivated:
		return fmt.Sprintf("Your %s card %s is active", d.CardType, d.cardName())
	case cards.NotifyReactivated:
		return fmt.Sprintf("Your %s card %s is active again", d.CardType, d.cardName())
	case cards.NotifyLocked:
		return fmt.Sprintf("Your %s card %s is locked", d.CardType, d.cardName())
	default:
		return fmt.Sprintf("Card request %s for %s: %s", d.CardID, d.UserName, d.Decision.State)
	}
}

// shortOrderID is the start of the order's id, as the console shows it.
func shortOrderID(d MessageData) string {
	if len(d.Order.ID) > 8 {
		return d.Order.ID[:8]
	}
	return d.Order.ID
}

// cardName is how a holder's e-mail names the card: its number, which is
// printed on it, or its id before it has one.
func (d MessageData) cardName() string {
	if d.CardNumber != "" {
		return d.CardNumber
	}
	return d.CardID
}

// messageData is what the templates see for one recipient.
func (s *Service) messageData(in cards.NotifyInput, names directoryNames, r recipient) MessageData {
	userName := names[in.UserID]
	if userName == "" {
		userName = in.CommonName
	}
	if userName == "" {
		userName = in.UserID
	}
	d := MessageData{
		Event: in.Event, RecipientName: r.Name, CardID: in.CardID, CardType: in.CardType,
		CommonName: in.CommonName, UPN: in.UPN, UserID: in.UserID, UserName: userName,
		RequestedBy: in.RequestedBy, RequesterName: names.of(in.RequestedBy),
		ApprovalsRequired: in.ApprovalsRequired, CardURL: s.consoleURL + "/cards/" + in.CardID,
		CardNumber: in.CardNumber, PINDelivery: in.PINDelivery, DaysLeft: in.DaysLeft,
		Operation: in.OperationVerb(),
	}
	if in.ValidUntil != nil {
		d.ValidUntil = in.ValidUntil.UTC().Format(timeLayout)
	}
	for _, id := range in.Acted {
		d.Approvals = append(d.Approvals, names.of(id))
	}
	if in.ExpiresAt != nil {
		d.ExpiresAt = in.ExpiresAt.UTC().Format(timeLayout)
	}
	if o := in.Order; o != nil {
		d.Order = &OrderData{ID: in.CardID, Kind: o.Kind, Round: o.Round, Total: o.Total, Done: o.Done, Failed: o.Failed, Skipped: o.Skipped,
			URL: s.consoleURL + "/orders/" + in.CardID}
	}
	if in.Decision != nil {
		d.Decision = &DecisionData{
			State: string(in.Decision.To), Actor: in.Decision.Actor, ActorName: names.of(in.Decision.Actor),
			Comment: in.Decision.Comment, At: in.Decision.At.UTC().Format(timeLayout),
		}
	}
	return d
}

// message builds the e-mail for one recipient. An error means the message
// cannot be built (an address the library refuses): retrying would not help.
func (s *Service) message(in cards.NotifyInput, names directoryNames, r recipient, messageID string) (*gomail.Msg, error) {
	d := s.messageData(in, names, r)
	text, html, err := s.templates.render(d)
	if err != nil {
		return nil, err
	}
	m := gomail.NewMsg()
	if err := m.FromFormat(s.from.Name, s.from.Address); err != nil {
		return nil, fmt.Errorf("sender %s: %w", s.from.Address, err)
	}
	if err := m.AddToFormat(r.Name, r.Email); err != nil {
		return nil, fmt.Errorf("invalid e-mail address %q: %w", r.Email, err)
	}
	m.Subject(subject(d))
	m.SetMessageIDWithValue(messageID)
	m.SetDateWithValue(time.Now())
	// Replies and reminders thread under the first e-mail about the card:
	// the request's for its approvers and requester, the for the
	// holder.
	if first := threadStart(in.Event); first != "" {
		id := MessageID(store.NotificationKey{CardID: in.CardID, Event: first, Recipient: r.ID}, s.domain)
		m.SetGenHeader(gomail.HeaderReferences, "<"+id+">")
	}
	// RFC 3834: a machine wrote this; auto-responders stay quiet.
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, text)
	m.AddAlternativeString(gomail.TypeTextHTML, html)
	return m, nil
}

// threadStart is the event whose e-mail starts the thread an event's e-mail
// belongs to; empty for the first e-mail of a thread.
func threadStart(event string) string {
	switch cards.NotifyKind(event) {
	case cards.NotifyRequested, cards.NotifyIssued, cards.NotifyOrderWaiting, cards.NotifyOrderCompleted:
		return ""
	case cards.NotifyActivated, cards.NotifyReactivated, cards.NotifyLocked, cards.NotifyExpiring, cards.NotifyExpired:
		return cards.NotifyIssued
	}
	return cards.NotifyRequested
}
