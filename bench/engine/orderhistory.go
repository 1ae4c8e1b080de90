package engine

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// OrderRuns is what an order's workflow wrote to Temporal, run by run
// (each run continued as new from the one before), and how long each of
// its items took as the workflow saw it: a Request card item from its
// activity's scheduling to its completion, an Issue card item from its
// child workflow's initiation to its completion.
type OrderRuns struct {
	// Events is the history length of each run, in order.
	Events []int `json:"eventsPerRun"`
	// Items are the items' durations, in the order they ended.
	Items []time.Duration `json:"-"`
}

// itemActivity is the activity a Request card item is.
const itemActivity = "RequestOrderItem"

// ReadOrderRuns waits for the order's workflow to end and reads every run
// from the first, following continue-as-new.
func ReadOrderRuns(ctx context.Context, sys Running, workflowID, firstRunID string) (OrderRuns, error) {
	c := sys.Client()
	if err := c.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		return OrderRuns{}, fmt.Errorf("order workflow %s: %w", workflowID, err)
	}
	var r OrderRuns
	for runID := firstRunID; runID != ""; {
		next := ""
		events := 0
		begun := map[int64]time.Time{}
		iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return r, fmt.Errorf("history of %s run %s: %w", workflowID, runID, err)
			}
			events++
			at := ev.GetEventTime().AsTime()
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				if ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == itemActivity {
					begun[ev.GetEventId()] = at
				}
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
				if t, ok := begun[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]; ok {
					r.Items = append(r.Items, at.Sub(t))
				}
			case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
				begun[ev.GetEventId()] = at
			case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
				if t, ok := begun[ev.GetChildWorkflowExecutionCompletedEventAttributes().GetInitiatedEventId()]; ok {
					r.Items = append(r.Items, at.Sub(t))
				}
			case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
				next = ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
			}
		}
		r.Events = append(r.Events, events)
		runID = next
	}
	return r, nil
}
