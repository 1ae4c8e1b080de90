package scenarios

import (
	"context"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cards"
)

// NoApproval is a card whose type needs no approval: one request, answered
// once the card is persisted, approved at once; one state change, no
// e-mail.
type NoApproval struct{}

// Name selects it in -scenarios.
func (NoApproval) Name() string { return "noapproval" }

// Description is its line in -help.
func (NoApproval) Description() string {
	return "request a card whose type needs no approval (approved at once; 1 state change, no e-mail)"
}

// Steps are the one timed step.
func (NoApproval) Steps() []string { return []string{"request"} }

// Setup puts each card's user in the directory, which the request checks.
func (NoApproval) Setup(ctx context.Context, e *engine.Env, cs []engine.Card) error {
	return engine.AddUsers(ctx, e, cs)
}

// Run requests the card.
func (NoApproval) Run(ctx context.Context, sys engine.Running, card engine.Card, step engine.StepFunc) {
	_ = step("request", func() error { return sys.Request(ctx, card, engine.CardRequest{}) })
}

// StateChanges is requested-and-approved, one change.
func (NoApproval) StateChanges() int { return 1 }

// MailsPerCard: nobody is asked or told.
func (NoApproval) MailsPerCard() int { return 0 }

// Verify checks every card approved with its one audit event.
func (s NoApproval) Verify(ctx context.Context, e *engine.Env, cs []engine.Card) ([]string, error) {
	return engine.CheckCards(ctx, e, s.Name(), cs, cards.StateApproved, 1, 0)
}
