package cards

import (
	"slices"
	"strings"
	"time"
)

// Notification events: when a card becomes requested, the reminder before
// its approval timeout, its final decision, and, to its holder, when it is
// issued, activated, reactivated and locked (not deactivated, as in the
// original: a suspension the holder asked for, or will be told of in person).
const (
	NotifyRequested = "requested"
	NotifyReminder  = "reminder"
	NotifyDecided   = "decided"
	NotifyIssued    = "issued"
	NotifyActivated = "activated"
	// NotifyReactivated tells the holder their inactive card is active again.
	NotifyReactivated = "reactivated"
	// NotifyLocked tells the holder their card is locked for good.
	NotifyLocked = "locked"
	// NotifyExpiring is the kind of the holder's reminders before the
	// card's valid_until; each reminder's event is ExpiringEvent(mark).
	NotifyExpiring = "expiring"
	// NotifyExpired tells the holder the card expired.
	NotifyExpired = "expired"
)

// NotifyEvents lists the notification events (kinds) in a fixed order: the
// e-mail templates come one per kind, and the outbox accepts no other.
var NotifyEvents = []string{NotifyRequested, NotifyReminder, NotifyDecided, NotifyIssued, NotifyActivated, NotifyReactivated, NotifyLocked, NotifyExpiring, NotifyExpired,
	NotifyOrderWaiting, NotifyOrderCompleted}

// HolderEvents are the events mailed to the card's holder alone.
var HolderEvents = []string{NotifyIssued, NotifyActivated, NotifyReactivated, NotifyLocked, NotifyExpiring, NotifyExpired}

// expiringPrefix starts the event of an expiry reminder.
const expiringPrefix = NotifyExpiring + "-"

// ExpiringEvent is the event of the expiry reminder of mark (1440h,
// daily-2029-11-20): one event per mark, because the outbox and the
// notifications table keep one row per card and event, which is what sends
// each reminder once.
func ExpiringEvent(mark string) string { return expiringPrefix + mark }

// NotifyKind is the kind of an event, which picks its template, subject,
// recipients and metric label: expiring for every expiry reminder, the
// order e-mail's kind for each round's, reactivated for each
// reactivation's (OperationEvent), else the event itself.
func NotifyKind(event string) string {
	if strings.HasPrefix(event, expiringPrefix) {
		return NotifyExpiring
	}
	if k := orderKind(event); k != "" {
		return k
	}
	if k := repeatKind(event); k != "" {
		return k
	}
	return event
}

// IsHolderEvent reports whether event is one of HolderEvents (or an expiry
// reminder).
func IsHolderEvent(event string) bool { return slices.Contains(HolderEvents, NotifyKind(event)) }

// IsNotifyEvent reports whether event is one of NotifyEvents, an expiry
// reminder of a mark, an order's e-mail of a round, or a repeatable event
// of an operation (OperationEvent).
func IsNotifyEvent(event string) bool {
	if strings.HasPrefix(event, expiringPrefix) {
		return len(event) > len(expiringPrefix)
	}
	if IsOrderEvent(event) || repeatKind(event) != "" {
		return true
	}
	return event != NotifyExpiring && !slices.Contains(OrderEvents, event) && slices.Contains(NotifyEvents, event)
}

// NotifyInput is one card event to tell people about. It belongs to the
// domain, not to the mail code or to Temporal: the workflow builds it, the
// outbox stores it as JSON, and the mail code finds its recipients in the
// directory (approvers for requested and reminder; the requester and the
// card's user for decided; the card's holder for issued and activated).
type NotifyInput struct {
	Event             string     `json:"event"`
	CardID            string     `json:"cardId"`
	UserID            string     `json:"userId"`
	CardType          string     `json:"cardType"`
	CommonName        string     `json:"commonName"`
	UPN               string     `json:"upn"`
	RequestedBy       string     `json:"requestedBy"`
	ApproverRole      string     `json:"approverRole,omitempty"`
	ApprovalsRequired int        `json:"approvalsRequired,omitempty"`
	ExpiresAt         *time.Time `json:"expiresAt,omitempty"`
	// Acted are the approvers who already approved: no reminder for them.
	Acted []string `json:"acted,omitempty"`
	// Decision is the transition: the final one for decided; for issued
	// and activated, who issued or activated the card and when.
	Decision *Decision `json:"decision,omitempty"`
	// CardNumber, ValidUntil and PINDelivery tell the holder about an
	// issued card: its number, its validity and how the PIN travels
	// (letter, email, none). Never the PIN itself.
	CardNumber  string     `json:"cardNumber,omitempty"`
	ValidUntil  *time.Time `json:"validUntil,omitempty"`
	PINDelivery string     `json:"pinDelivery,omitempty"`
	// Operation is what an approval e-mail is about (request,
	// deactivation, reactivation, lock); empty is a request.
	Operation string `json:"operation,omitempty"`
	// ApprovalID tells one approval of an operation on the card from an
	// earlier one (the workflow run), so that each is mailed once.
	ApprovalID string `json:"approvalId,omitempty"`
	// DaysLeft is how many days an expiring card has left when the
	// reminder was queued (expiring-*).
	DaysLeft int `json:"daysLeft,omitempty"`
	// Order is the order an order e-mail (order-waiting-<round>,
	// order-completed-<round>) is about; CardID is then the order's id
	// and RequestedBy the operator who started it.
	Order *OrderNotice `json:"order,omitempty"`
}

// NotifyResult lists what was done for each recipient of one event; the
// workflow adds it to the card's status.
type NotifyResult struct {
	Notifications []Notification `json:"notifications"`
}

// RecordEvent is the event the notifications table keys this e-mail by:
// the event itself for a request, and for an operation's approval the
// operation, the event and the approval ("deactivation-requested:<run>"),
// so that each approval of a card's life is mailed once, not once ever.
func (in NotifyInput) RecordEvent() string {
	if in.Operation == "" || in.Operation == "request" || in.ApprovalID == "" {
		return in.Event
	}
	return in.Operation + "-" + in.Event + ":" + in.ApprovalID
}

// OperationVerb says what an operation's approval asks ("deactivate",
// "reactivate", "lock"); "" for a request.
func (in NotifyInput) OperationVerb() string {
	switch in.Operation {
	case "deactivation":
		return "deactivate"
	case "reactivation":
		return "reactivate"
	case "lock":
		return "lock"
	}
	return ""
}
