package engine

import (
	"context"
	"fmt"
	"io"

	enumspb "go.temporal.io/api/enums/v1"
)

// HistoryShape is what one card's workflow wrote to the Temporal server:
// exact, unlike CPU time, and what the server's share of the CPU follows,
// so that a difference between the systems can be told apart from noise.
type HistoryShape struct {
	System        string `json:"system"`
	Scenario      string `json:"scenario"`
	Events        int    `json:"events"`
	WorkflowTasks int    `json:"workflowTasks"`
	Activities    int    `json:"activities"`
	// Markers are local activities and version markers.
	Markers int `json:"markers"`
	Timers  int `json:"timers"`
	Upserts int `json:"searchAttributeUpserts"`
	Updates int `json:"updates"`
	Signals int `json:"signals"`
}

// historyShape waits for the workflow of card to finish (a card's last
// e-mail may go out after its last answer) and counts its history.
func historyShape(ctx context.Context, sys Running, system, scenario string, card Card) (HistoryShape, error) {
	c, id := sys.Client(), sys.WorkflowID(card)
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil {
		return HistoryShape{}, fmt.Errorf("workflow %s: %w", id, err)
	}
	h := HistoryShape{System: system, Scenario: scenario}
	iter := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return h, err
		}
		h.Events++
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
	return h, nil
}

// printHistories is the history per card of each system and scenario.
func printHistories(w io.Writer, hs []HistoryShape) {
	fmt.Fprintf(w, "\n%-22s %7s %9s %11s %8s %7s %8s %8s %8s\n", "history per card", "events", "wf tasks", "activities", "markers", "timers", "upserts", "updates", "signals")
	for _, h := range hs {
		fmt.Fprintf(w, "%-22s %7d %9d %11d %8d %7d %8d %8d %8d\n", h.System+" "+h.Scenario, h.Events, h.WorkflowTasks, h.Activities, h.Markers, h.Timers, h.Upserts, h.Updates, h.Signals)
	}
}
