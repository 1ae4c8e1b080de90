package activities

import (
	"context"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
)

// Notification events: when a card becomes requested, the reminder before
// its approval timeout, and its final decision.
const (
	NotifyRequested = "requested"
	NotifyReminder  = "reminder"
	NotifyDecided   = "decided"
)

// NotifyInput is one card event to tell people about. The activity finds the
// recipients in the directory (approvers for requested and reminder; the
// requester and the card's user for decided).
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
	// Decision is the final transition, for the decided event.
	Decision *cards.Decision `json:"decision,omitempty"`
}

// NotifyResult lists what the activity did for each recipient.
type NotifyResult struct {
	Notifications []cards.Notification `json:"notifications"`
}

// Notifier sends the e-mails of card events. The worker sets one when SMTP
// is configured; without it notifications are off.
type Notifier interface {
	Notify(ctx context.Context, in NotifyInput) (NotifyResult, error)
}

// Notify sends the e-mails of one card event, at most once per card, event
// and recipient. The workflow runs it after the state change is durable and
// never waits for it before answering a decision.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	if a.Notifier == nil {
		return NotifyResult{Notifications: []cards.Notification{}}, nil
	}
	return a.Notifier.Notify(ctx, in)
}
