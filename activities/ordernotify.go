package activities

import (
	"encoding/json"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// orderNotice is the operator's e-mail when an order moves into state:
// order-waiting-<round> when an issue order waits with failed items,
// order-completed-<round> when it completes; nil for other states, and
// when e-mail is off in this worker (no Notifier, the rule of every outbox
// row: there is a dispatcher to send it). The Order workflow calls
// SetOrderState as before: its histories do not change.
func (a *Activities) orderNotice(state string) store.OrderNotice {
	kind := map[string]string{store.OrderWaiting: cards.NotifyOrderWaiting, store.OrderCompleted: cards.NotifyOrderCompleted}[state]
	if kind == "" || a.Notifier == nil {
		return nil
	}
	return func(o store.Order) (*store.OutboxEvent, error) {
		in := cards.NotifyInput{
			Event: cards.OrderEvent(kind, o.Round), CardID: o.ID, RequestedBy: o.CreatedBy, CardType: o.CardType,
			Order: &cards.OrderNotice{Kind: o.Kind, Round: o.Round, Total: o.Total, Done: o.Done, Failed: o.Failed, Skipped: o.Skipped},
		}
		input, err := json.Marshal(in)
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError("encode notification: "+err.Error(), ErrInvalidNotification, err)
		}
		return &store.OutboxEvent{Event: in.Event, Input: input}, nil
	}
}
