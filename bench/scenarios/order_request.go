package scenarios

import (
	"context"
	"time"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/order"
)

// OrderRequest is Request multiple cards at scale: one order of n users
// (default 10,000) through the Order workflow, against the same number of
// users requested one at a time (cardops.Request, as `starter request`)
// at the order's window, in the same run. Both ask for a card without
// approval, so each ends at the card persisted and approved.
type OrderRequest struct{}

// Name selects it in -scenarios (alone).
func (OrderRequest) Name() string { return "order-request" }

// Description is its line in -help.
func (OrderRequest) Description() string {
	return "scale run (-order-users N, default 10,000): a request order of N users against N requested one by one at its window"
}

// Size is -order-users.
func (OrderRequest) Size(cfg engine.Config) int { return cfg.OrderUsers }

// Run runs the order and the one-by-one requests and verifies every card.
func (s OrderRequest) Run(ctx context.Context, e *engine.Env, subject engine.Running, n int) (engine.ScaleReport, error) {
	r, err := runOrder(ctx, e, subject, orderKind{
		name: s.Name(), kind: order.KindRequest, window: order.DefaultRequestWindow,
		prepare: func(ctx context.Context, e *engine.Env, _ engine.Running, cs []engine.Card) error {
			return engine.AddUsers(ctx, e, cs)
		},
		alone: func(ctx context.Context, o engine.Orderer, _ engine.Running, c engine.Card) error {
			return o.RequestAlone(ctx, c)
		},
		spec: func(id string, cs []engine.Card) engine.OrderSpec {
			users := make([]string, len(cs))
			for i, c := range cs {
				users[i] = c.UserID
			}
			return engine.OrderSpec{ID: id, Kind: order.KindRequest, Users: users}
		},
		verify: func(ctx context.Context, e *engine.Env, alone, _ []engine.Card, orderID string) ([]string, error) {
			// The order's card ids are derived by the order: read them
			// from its items.
			var ordered []engine.Card
			if err := e.DB.SelectContext(ctx, &ordered, `SELECT card_id::text AS id, user_id AS userid FROM order_items WHERE order_id = $1`, orderID); err != nil {
				return nil, err
			}
			problems, err := engine.CheckCards(ctx, e, "one by one", alone, cards.StateApproved, 1, 0)
			if err != nil {
				return nil, err
			}
			more, err := engine.CheckCards(ctx, e, "order", ordered, cards.StateApproved, 1, 0)
			return append(problems, more...), err
		},
		within: 2 * time.Hour,
	}, n)
	if r == nil {
		return nil, err
	}
	return r, err
}
