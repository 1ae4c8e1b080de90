package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"
)

// HistoryShape is what one card's workflows wrote to the Temporal server:
// exact, unlike CPU time, and what the server's share of the CPU follows,
// so that a difference between the systems can be told apart from noise.
// A card with operations (Issue, Activate) counts every run of its lane
// with its request.
type HistoryShape struct {
	System   string `json:"system"`
	Scenario string `json:"scenario"`
	// Runs is how many workflow executions the card took (1 without
	// operations).
	Runs          int `json:"runs"`
	Events        int `json:"events"`
	WorkflowTasks int `json:"workflowTasks"`
	Activities    int `json:"activities"`
	// Markers are local activities and version markers.
	Markers int `json:"markers"`
	Timers  int `json:"timers"`
	Upserts int `json:"searchAttributeUpserts"`
	Updates int `json:"updates"`
	Signals int `json:"signals"`
	// Bytes is the history's encoded size: the server stores and sends
	// every byte of it, so two shapes with the same events can still cost
	// it differently.
	Bytes int `json:"bytes"`
}

// historyShape waits for the workflow of card to finish (a card's last
// e-mail may go out after its last answer) and counts its history and
// those of its lane's runs.
func historyShape(ctx context.Context, sys Running, system, scenario string, card Card) (HistoryShape, error) {
	c, id := sys.Client(), sys.WorkflowID(card)
	h := HistoryShape{System: system, Scenario: scenario}
	lane := sys.LaneWorkflowID(card)
	// A card inserted by the scenario's setup (deactivate-approval) has
	// no request workflow: its lane's runs are its history.
	err := c.GetWorkflow(ctx, id, "").Get(ctx, nil)
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		if err := c.GetWorkflow(ctx, lane, "").Get(ctx, nil); err != nil {
			return h, fmt.Errorf("workflow %s: %w", lane, err)
		}
	case err != nil:
		return HistoryShape{}, fmt.Errorf("workflow %s: %w", id, err)
	default:
		if err := h.count(ctx, sys, id, ""); err != nil {
			return h, err
		}
	}
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = '%s'", lane)})
	if err != nil {
		return h, fmt.Errorf("list the runs of %s: %w", lane, err)
	}
	for _, run := range resp.GetExecutions() {
		if err := h.count(ctx, sys, lane, run.GetExecution().GetRunId()); err != nil {
			return h, err
		}
	}
	return h, nil
}

// count adds one run's history.
func (h *HistoryShape) count(ctx context.Context, sys Running, id, runID string) error {
	h.Runs++
	iter := sys.Client().GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return err
		}
		h.Events++
		h.Bytes += proto.Size(ev)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			h.WorkflowTasks++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			h.Activities++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			h.Markers++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			h.Timers++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			h.Upserts++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			h.Updates++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			h.Signals++
		}
	}
	return nil
}

// printHistories is the history per card of each system and scenario.
func printHistories(w io.Writer, hs []HistoryShape) {
	fmt.Fprintf(w, "\n%-22s %5s %7s %9s %11s %8s %7s %8s %8s %8s\n", "history per card", "runs", "events", "wf tasks", "activities", "markers", "timers", "upserts", "updates", "signals")
	for _, h := range hs {
		fmt.Fprintf(w, "%-22s %5d %7d %9d %11d %8d %7d %8d %8d %8d %7d\n", h.System+" "+h.Scenario, h.Runs, h.Events, h.WorkflowTasks, h.Activities, h.Markers, h.Timers, h.Upserts, h.Updates, h.Signals, h.Bytes)
	}
}
