package scenarios

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/bench/systems"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// DeactivateApproval is Deactivate card with one approval (issue 19),
// reported beside Request card's approval: the cards are inserted active
// (no certificates recorded, so the hold step asks the CA nothing), the
// deactivation returns once it waits for its approver, the approval once
// the card is inactive. cardflow needs the run's CA (Produces), since the
// hold step refuses without one; the yardsticks run MinimalDeactivate.
type DeactivateApproval struct{}

// Name selects it in -scenarios.
func (DeactivateApproval) Name() string { return "deactivate-approval" }

// Description is its line in -help.
func (DeactivateApproval) Description() string {
	return "deactivate an active card whose type needs one approval for it, then approve it (1 state change, 2 e-mails)"
}

// Steps are the deactivation and the approval, timed apart.
func (DeactivateApproval) Steps() []string { return []string{"deactivate", "approve"} }

// Produces: Deactivate card holds the certificates at a CA, so the run
// starts one (with the print station, unused here).
func (DeactivateApproval) Produces() bool { return true }

// Setup puts each card's user in the directory and inserts the card
// active, of the type whose deactivation needs an approval.
func (DeactivateApproval) Setup(ctx context.Context, e *engine.Env, cs []engine.Card) error {
	if err := engine.AddUsers(ctx, e, cs); err != nil {
		return err
	}
	ids, users, wids := make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		ids[i], users[i], wids[i] = c.ID, c.UserID, requestcard.WorkflowID(c.ID)
	}
	if _, err := e.DB.ExecContext(ctx, `
		INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id)
		SELECT id, u, $4, 'Given ' || u, u || '@example.com', 'active', $5, w
		FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, u, w)`,
		pq.Array(ids), pq.Array(users), pq.Array(wids), systems.DeactivationCardType, engine.Operator); err != nil {
		return fmt.Errorf("insert active cards: %w", err)
	}
	return nil
}

// Run deactivates the card and, once it waits, approves it.
func (DeactivateApproval) Run(ctx context.Context, sys engine.Running, card engine.Card, step engine.StepFunc) {
	if step("deactivate", func() error { return sys.Deactivate(ctx, card) }) != nil {
		return
	}
	_ = step("approve", func() error { return sys.ApproveOperation(ctx, card) })
}

// StateChanges: inactive.
func (DeactivateApproval) StateChanges() int { return 1 }

// ApprovalWrites are the operation's approval's own: the approvals row
// opened, the vote, the row closed.
func (DeactivateApproval) ApprovalWrites() int { return 3 }

// MailsPerCard: the approver asked, the requester (the operator) told.
func (DeactivateApproval) MailsPerCard() int { return 2 }

// Verify checks every card inactive with one audit event, its deactivate
// row, and its approver's vote.
func (s DeactivateApproval) Verify(ctx context.Context, e *engine.Env, cs []engine.Card) ([]string, error) {
	problems, err := engine.CheckCards(ctx, e, s.Name(), cs, cards.StateInactive, 1, 1)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	var off int
	if err := e.DB.QueryRowContext(ctx, `
		SELECT count(*) FROM (
			SELECT c.id FROM cards c LEFT JOIN card_events ev ON ev.card_id = c.id AND ev.event = 'deactivate'
			WHERE c.id = ANY($1::uuid[]) GROUP BY c.id HAVING count(ev.id) <> 1) AS t`, pq.Array(ids)).Scan(&off); err != nil {
		return nil, err
	}
	if off != 0 {
		problems = append(problems, fmt.Sprintf("%s: %d cards without exactly one deactivate row", s.Name(), off))
	}
	return problems, nil
}
