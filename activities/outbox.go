package activities

import (
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// outboxEvent turns the Notify of a card write into the row the store
// queues with it, or nil when nothing is to be queued: no Notify, or
// e-mail off in this worker (no Notifier, the same rule as the Notify
// activity, so an outbox row always has a dispatcher to send it). The
// card's id, the event and, for decided, the decision default to what the
// write itself says, so the workflow need not repeat them. An unknown event
// is a programming error, refused without retry before anything is written.
func (a *Activities) outboxEvent(n *NotifyInput, cardID, event string, decision *cards.Decision) (*store.OutboxEvent, error) {
	if n == nil || a.Notifier == nil {
		return nil, nil
	}
	in := *n
	if in.CardID == "" {
		in.CardID = cardID
	}
	if in.Event == "" {
		in.Event = event
	}
	if in.Decision == nil && in.Event == NotifyDecided {
		in.Decision = decision
	}
	switch {
	case !cards.IsNotifyEvent(in.Event):
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("notification event %q is not one of %v", in.Event, cards.NotifyEvents), ErrInvalidNotification, nil)
	case in.CardID != cardID:
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("notification for card %s queued with card %s", in.CardID, cardID), ErrInvalidNotification, nil)
	case in.Event == NotifyDecided && in.Decision == nil:
		return nil, temporal.NewNonRetryableApplicationError("decided notification of card "+cardID+" without the decision", ErrInvalidNotification, nil)
	}
	input, err := json.Marshal(in)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("encode notification: "+err.Error(), ErrInvalidNotification, err)
	}
	return &store.OutboxEvent{Event: in.Event, Input: input}, nil
}

// queued tells the worker's dispatcher that a write queued an e-mail, so it
// is sent now rather than at the dispatcher's next poll.
func (a *Activities) queued(e *store.OutboxEvent) {
	if e != nil && a.OnQueued != nil {
		a.OnQueued()
	}
}
