package systems

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/bench/engine"
)

// registerMinimalDeactivate registers the minimal deactivate workflow on a
// yardstick's worker (its activity is minimalStep, registered with the
// issue workflows).
func registerMinimalDeactivate(w worker.Worker) {
	w.RegisterWorkflowWithOptions(MinimalDeactivate, workflow.RegisterOptions{Name: minimalDeactivateName})
}

// deactivateOnLane starts the minimal deactivation on a yardstick's lane
// with the "awaiting" update (a running lane refused, a closed one reused,
// as cardops does) and returns once it waits for approval.
func deactivateOnLane(ctx context.Context, c client.Client, queue, laneID, cardID string) error {
	opts := client.StartWorkflowOptions{ID: laneID, TaskQueue: queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE}
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: c.NewWithStartWorkflowOperation(opts, minimalDeactivateName, cardID),
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: minimalAwaitingUpdate, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// approveOnLane sends the approver's vote to the lane's deactivation and
// waits for the operation's end.
func approveOnLane(ctx context.Context, c client.Client, laneID string) error {
	if err := update(ctx, c, laneID, "approve", engine.Approver); err != nil {
		return err
	}
	return c.GetWorkflow(ctx, laneID, "").Get(ctx, nil)
}

// Deactivate runs the minimal deactivation on the card's lane until it
// waits for approval.
func (r *runningMinimal) Deactivate(ctx context.Context, card engine.Card) error {
	return deactivateOnLane(ctx, r.client, r.queue, r.LaneWorkflowID(card), card.ID)
}

// ApproveOperation votes on it and waits for its end.
func (r *runningMinimal) ApproveOperation(ctx context.Context, card engine.Card) error {
	return approveOnLane(ctx, r.client, r.LaneWorkflowID(card))
}

// Deactivate runs the minimal deactivation with the baseline's codec:
// Deactivate card has no older shape.
func (r *runningBaseline) Deactivate(ctx context.Context, card engine.Card) error {
	return deactivateOnLane(ctx, r.client, r.queue, r.LaneWorkflowID(card), card.ID)
}

// ApproveOperation votes on it and waits for its end.
func (r *runningBaseline) ApproveOperation(ctx context.Context, card engine.Card) error {
	return approveOnLane(ctx, r.client, r.LaneWorkflowID(card))
}
