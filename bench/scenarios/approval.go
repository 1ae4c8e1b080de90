package scenarios

import (
	"context"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cards"
)

// Approval is a card whose type needs one approval: the request, answered
// once the card waits for its approver, then the approval, answered once
// the card is approved; two state changes and two e-mails (the approver
// asked, the requester told).
type Approval struct{}

// Name selects it in -scenarios.
func (Approval) Name() string { return "approval" }

// Description is its line in -help.
func (Approval) Description() string {
	return "request a card that needs one approval, then approve it (2 state changes, 2 e-mails)"
}

// Steps are the request and the approval, timed apart.
func (Approval) Steps() []string { return []string{"request", "approve"} }

// Setup puts each card's user in the directory, which the request checks.
func (Approval) Setup(ctx context.Context, e *engine.Env, cs []engine.Card) error {
	return engine.AddUsers(ctx, e, cs)
}

// Run requests the card and, once it waits, approves it.
func (Approval) Run(ctx context.Context, sys engine.Running, card engine.Card, step engine.StepFunc) {
	if step("request", func() error { return sys.Request(ctx, card, engine.CardRequest{Approval: true}) }) != nil {
		return
	}
	_ = step("approve", func() error { return sys.Approve(ctx, card) })
}

// StateChanges are requested, then approved.
func (Approval) StateChanges() int { return 2 }

// ApprovalWrites are the approval process's own: none. Request card opens
// the approvals row with the card's insert, and closes it with the
// decision's transition, which from version 4 also writes the deciding
// vote's audit row.
func (Approval) ApprovalWrites() int { return 0 }

// MailsPerCard: the approver asked, the requester told.
func (Approval) MailsPerCard() int { return 2 }

// Verify checks every card approved with its two state changes' audit
// events and its approver's vote (the approval process's own audit row).
func (s Approval) Verify(ctx context.Context, e *engine.Env, cs []engine.Card) ([]string, error) {
	return engine.CheckCards(ctx, e, s.Name(), cs, cards.StateApproved, 2, 1)
}
