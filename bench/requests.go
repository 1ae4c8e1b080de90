package main

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// The systems every scenario measures, side by side in the same run.
const (
	// Cardflow is RequestCard on the real worker, with everything on.
	Cardflow = "cardflow"
	// Baseline is RequestCard's shape with empty activities (continuity
	// with the earlier figures).
	Baseline = "baseline"
	// Minimal is the fixed yardstick (minimal.go).
	Minimal = "minimal"
)

// systems in the order of a round's first batch; later rounds rotate it.
var systems = []string{Cardflow, Baseline, Minimal}

// requestCard sends one request and returns once the card is persisted.
func requestCard(ctx context.Context, cfg Config, e *env, system, scenario string, j job) error {
	switch system {
	case Baseline:
		return updateWithStart(ctx, e.client, client.StartWorkflowOptions{ID: workflowID(system, j), TaskQueue: e.queues[Baseline]},
			baselineWorkflowName, BaselineInput{Approval: scenario == Approval, LocalReads: cfg.BaselineLocalReads}, "persisted")
	case Minimal:
		return updateWithStart(ctx, e.minimalClient, client.StartWorkflowOptions{ID: workflowID(system, j), TaskQueue: e.queues[Minimal]},
			minimalWorkflowName, MinimalInput{Approval: scenario == Approval}, "persisted")
	}
	cardType := "visitor"
	if scenario == Approval {
		cardType = "standard"
	}
	in := requestcard.RequestCardInput{CardID: j.cardID, UserID: j.userID, CardType: cardType, RequestedBy: benchOperator}
	// As the starter and the console send it (internal/cardops.Request):
	// search attributes, summary and details included, since the server
	// stores them with every card.
	opts := client.StartWorkflowOptions{
		ID: workflowID(system, j), TaskQueue: e.queues[Cardflow],
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    requestcard.StartSearchAttributes(in),
		StaticSummary:            fmt.Sprintf("Card for **%s** (%s), requested by %s", in.UserID, cardType, in.RequestedBy),
		StaticDetails:            fmt.Sprintf("User: %s\n\nCard type: %s\n\nRequested by: %s\n\nCard id: %s", in.UserID, cardType, in.RequestedBy, in.CardID),
	}
	if cfg.StartMode == "start-then-query" {
		return startThenQuery(ctx, e.client, opts, in)
	}
	return updateWithStart(ctx, e.client, opts, requestcard.WorkflowType, in, requestcard.PersistedUpdate)
}

func updateWithStart(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, workflowType string, input any, update string) error {
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: c.NewWithStartWorkflowOperation(opts, workflowType, input),
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: update, WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// startThenQuery is the alternative to update-with-start: start, then poll
// the status query until the card is persisted.
func startThenQuery(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, in requestcard.RequestCardInput) error {
	run, err := c.ExecuteWorkflow(ctx, opts, requestcard.WorkflowType, in)
	if err != nil {
		return err
	}
	for {
		v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), requestcard.StatusQuery)
		if err != nil {
			return err
		}
		var s cards.Status
		if err := v.Get(&s); err != nil {
			return err
		}
		if s.State != cards.StatePending {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// approveCard sends the approval and returns once the card is approved.
func approveCard(ctx context.Context, e *env, system string, j job) error {
	c, id, update := e.client, workflowID(system, j), cards.Approve
	var arg any = cards.DecisionInput{Actor: benchApprover, Comment: "ok"}
	switch system {
	case Baseline:
		arg = map[string]string{"actor": benchApprover}
	case Minimal:
		c, arg = e.minimalClient, benchApprover
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: update, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}
