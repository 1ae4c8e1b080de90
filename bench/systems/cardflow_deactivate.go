package systems

import (
	"context"
	"fmt"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/approval"
	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/lane"
)

// DeactivationCardType is the card type of the production policy whose
// deactivation needs one approval: the deactivate-approval scenario
// inserts its cards active with it.
const DeactivationCardType = "employee"

// Deactivate starts Deactivate card on the card's lane as `starter
// deactivate` does (cardops.OperateUntilApproval, which polls the lane's
// status query every 500 ms) and returns once it waits for approval.
func (r *runningCardflow) Deactivate(ctx context.Context, card engine.Card) error {
	if r.station == "" {
		return fmt.Errorf("Deactivate card needs the run's CA: no scenario produces cards")
	}
	s, err := r.ops.OperateUntilApproval(ctx, cardops.Operation{CardID: card.ID, Type: cardstate.DeactivateType,
		Input:   cardstate.Input{CardID: card.ID, Operator: engine.Operator},
		Summary: fmt.Sprintf("Deactivate card %s, by %s", card.ID, engine.Operator)})
	switch {
	case err != nil:
		return err
	case !s.AwaitingApproval:
		return fmt.Errorf("deactivation of card %s did not wait for approval: %s", card.ID, s.Step)
	}
	return nil
}

// ApproveOperation votes as the approver on the lane's open approval, as
// the console's Inbox does (cardops.DecideOn), then waits for the
// operation's end and checks the card's state.
func (r *runningCardflow) ApproveOperation(ctx context.Context, card engine.Card) error {
	wid := lane.WorkflowID(card.ID)
	if _, err := r.ops.DecideOn(ctx, card.ID, wid, approval.ApproveUpdate, cards.DecisionInput{Actor: engine.Approver, Comment: "ok"}); err != nil {
		return err
	}
	var s lane.Status
	if err := r.client.GetWorkflow(ctx, wid, "").Get(ctx, &s); err != nil {
		return err
	}
	return operationEnded(s.State, s.Step, nil, cards.StateInactive)
}
