package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/notify"
)

// Notification events, named here too so that the workflow's activity calls
// read as one vocabulary; they are the domain's (internal/cards).
const (
	NotifyRequested = cards.NotifyRequested
	NotifyReminder  = cards.NotifyReminder
	NotifyDecided   = cards.NotifyDecided
)

// NotifyInput is the Notify activity's input: the domain's card event, so
// that the mail code and the outbox share it without knowing Temporal.
type NotifyInput = cards.NotifyInput

// NotifyResult is the Notify activity's result: every recipient's outcome.
type NotifyResult = cards.NotifyResult

// Error types of the Notify activity's failures, as the workflow and the
// metrics see them.
const (
	// ErrInvalidNotification is the error type of a NotifyInput that cannot
	// be sent (an unknown event, no card id): retrying would not help.
	ErrInvalidNotification = "InvalidNotification"
	// ErrMailTemporary is the error type of a temporary failure for some
	// recipients: Temporal retries the activity, which sends only to them.
	ErrMailTemporary = "MailTemporaryFailure"
)

// Notifier sends the e-mails of card events (internal/notify's Service).
// The worker sets one when SMTP is configured; without it notifications are
// off. progress, when not nil, is called with each recipient's id before
// that recipient is handled.
type Notifier interface {
	Notify(ctx context.Context, in cards.NotifyInput, progress func(recipientID string)) (cards.NotifyResult, error)
}

// Notify sends the e-mails of one card event, at most once per card, event
// and recipient. The workflow runs it after the state change is durable and
// never waits for it before answering a decision.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	if a.Notifier == nil {
		return NotifyResult{Notifications: []cards.Notification{}}, nil
	}
	// A heartbeat per recipient lets Temporal notice a dead worker early
	// when the workflow sets a heartbeat timeout.
	var heartbeat func(string)
	if activity.IsActivity(ctx) {
		heartbeat = func(recipientID string) { activity.RecordHeartbeat(ctx, recipientID) }
	}
	result, err := a.Notifier.Notify(ctx, in, heartbeat)
	if err != nil {
		return NotifyResult{}, notifyFailure(err)
	}
	return result, nil
}

// notifyFailure gives the mail code's errors the Temporal types that decide
// whether the activity is retried: an invalid input never, a temporary SMTP
// failure yes (only its recipients are tried again), anything else (a
// database error) by the default policy.
func notifyFailure(err error) error {
	switch {
	case errors.Is(err, notify.ErrInvalid):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidNotification, nil)
	case errors.Is(err, notify.ErrTemporary):
		return temporal.NewApplicationError(err.Error(), ErrMailTemporary)
	}
	return err
}
