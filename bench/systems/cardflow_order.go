package systems

import (
	"context"
	"fmt"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/order"
)

// orderCardType is what the bench's request orders, and the same users
// requested one at a time, ask for: a card without approval, so that both
// end at the card persisted and approved.
const orderCardType = "visitor"

var _ engine.Orderer = (*runningCardflow)(nil)

// StartOrder starts the Order workflow as `starter order request|issue
// --no-wait` does, with the kind's default window.
func (r *runningCardflow) StartOrder(ctx context.Context, o engine.OrderSpec) (string, error) {
	in := order.Input{OrderID: o.ID, Kind: o.Kind, Operator: engine.Operator, Users: o.Users, Cards: o.Cards}
	if o.Kind == order.KindRequest {
		in.CardType = orderCardType
	}
	run, err := r.ops.StartOrder(ctx, in, fmt.Sprintf("Bench %s order of %d", o.Kind, len(o.Users)+len(o.Cards)))
	if err != nil {
		return "", err
	}
	return run.GetRunID(), nil
}

// OrderWorkflowID is order-<id>.
func (r *runningCardflow) OrderWorkflowID(orderID string) string { return order.WorkflowID(orderID) }

// RequestAlone requests the card as `starter request` does.
func (r *runningCardflow) RequestAlone(ctx context.Context, card engine.Card) error {
	s, err := r.ops.Request(ctx, cardops.RequestInput{CardID: card.ID, UserID: card.UserID, CardType: orderCardType, RequestedBy: engine.Operator})
	if err == nil && s.State != cards.StateApproved {
		err = fmt.Errorf("card %s, want approved", s.State)
	}
	return err
}
