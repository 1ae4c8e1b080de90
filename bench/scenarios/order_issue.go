package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/order"
)

// OrderIssue is Issue multiple cards at scale: one order of m approved
// cards (default 2,000) through the Order workflow, each IssueCard a child
// on the card's lane at the real print station (rendering, files, two
// certificates from the CFSSL CA the engine starts), against the same
// number issued one at a time (cardops.Operate, as `starter issue`) at
// the order's window, in the same run.
type OrderIssue struct{}

// issuedEvents is the audit trail of an issued visitor card: approved at
// the request, the production's start, issued.
const issuedEvents = 3

// Name selects it in -scenarios (alone).
func (OrderIssue) Name() string { return "order-issue" }

// Description is its line in -help.
func (OrderIssue) Description() string {
	return "scale run (-order-cards M, default 2,000): an issue order of M approved cards at a real station against M issued one by one at its window"
}

// Size is -order-cards.
func (OrderIssue) Size(cfg engine.Config) int { return cfg.OrderCards }

// Produces: the run starts the CA and cardflow's print station.
func (OrderIssue) Produces() bool { return true }

// Run requests the cards (approved at once), runs the order and the
// one-by-one productions, and verifies every card issued once.
func (s OrderIssue) Run(ctx context.Context, e *engine.Env, subject engine.Running, m int) (engine.ScaleReport, error) {
	r, err := runOrder(ctx, e, subject, orderKind{
		name: s.Name(), kind: order.KindIssue, window: order.DefaultIssueWindow,
		prepare: func(ctx context.Context, e *engine.Env, subject engine.Running, cs []engine.Card) error {
			if err := engine.AddUsers(ctx, e, cs); err != nil {
				return err
			}
			ph := engine.RunPhase(ctx, e, s.Name()+": request the cards", cs, func(c engine.Card) error {
				return subject.Request(ctx, c, engine.CardRequest{})
			})
			if ph.Errors > 0 {
				return fmt.Errorf("%d of %d cards could not be requested", ph.Errors, len(cs))
			}
			return nil
		},
		alone: func(ctx context.Context, _ engine.Orderer, subject engine.Running, c engine.Card) error {
			return subject.Issue(ctx, c)
		},
		spec: func(id string, cs []engine.Card) engine.OrderSpec {
			ids := make([]string, len(cs))
			for i, c := range cs {
				ids[i] = c.ID
			}
			return engine.OrderSpec{ID: id, Kind: order.KindIssue, Cards: ids}
		},
		verify: func(ctx context.Context, e *engine.Env, alone, ordered []engine.Card, _ string) ([]string, error) {
			problems, err := engine.CheckCards(ctx, e, "one by one", alone, cards.StateIssued, issuedEvents, 0)
			if err != nil {
				return nil, err
			}
			more, err := engine.CheckCards(ctx, e, "order", ordered, cards.StateIssued, issuedEvents, 0)
			return append(problems, more...), err
		},
		within: 2 * time.Hour,
	}, m)
	if r == nil {
		return nil, err
	}
	return r, err
}
