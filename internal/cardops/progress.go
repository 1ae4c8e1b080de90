package cardops

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// waitingLine says what the request waits for: a retrying activity (from
// the pending activities), else the workflow's own waiting line (a step it
// retries locally), else whether any worker has taken the request at all.
func (c *Client) waitingLine(ctx context.Context, workflowID string) string {
	noWorker := fmt.Sprintf("waiting: no worker has taken the request yet; is a worker polling task queue %q?", c.TaskQueue)
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil || desc.GetWorkflowExecutionInfo() == nil {
		return noWorker
	}
	if line := describeWaiting(desc, ""); line != "" {
		return line
	}
	queryCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if resp, err := c.Temporal.QueryWorkflow(queryCtx, workflowID, "", requestcard.StatusQuery); err == nil {
		var status cards.Status
		if resp.Get(&status) == nil && status.Waiting != "" {
			return "waiting: " + status.Waiting
		}
	}
	if wt := desc.GetPendingWorkflowTask(); wt != nil && wt.GetState() == enumspb.PENDING_WORKFLOW_TASK_STATE_SCHEDULED {
		return noWorker
	}
	return "waiting: the request is in progress"
}

// describeWaiting turns the first retrying pending activity into a line such
// as "waiting: Persist card, attempt 4 failed: connection refused; retrying
// in 8s"; fallback is returned when no activity is retrying.
func describeWaiting(desc *workflowservice.DescribeWorkflowExecutionResponse, fallback string) string {
	for _, pa := range desc.GetPendingActivities() {
		if pa.GetAttempt() <= 1 && pa.GetLastFailure() == nil {
			continue
		}
		line := fmt.Sprintf("waiting: %s, attempt %d failed", activityTitle(pa.GetActivityType().GetName()), pa.GetAttempt()-1)
		if f := pa.GetLastFailure(); f != nil {
			line += ": " + f.GetMessage()
		}
		if next := pa.GetNextAttemptScheduleTime(); next != nil {
			if d := time.Until(next.AsTime()).Round(time.Second); d > 0 {
				line += fmt.Sprintf("; retrying in %s", d)
			}
		}
		return line
	}
	return fallback
}

var activityTitles = map[string]string{
	"PersistCard":       "Persist card",
	"TransitionCard":    "Write decision",
	"PrepareRequest":    "Check user and requester",
	"AuthorizeDecision": "Check approver",
	"ResolvePolicy":     "Resolve policy",
	"Notify":            "Send e-mail",
	"OpenApproval":      "Open approval",
	"RecordVote":        "Record the vote",
	"CloseApproval":     "Close approval",
}

func activityTitle(name string) string {
	if t, ok := activityTitles[name]; ok {
		return t
	}
	return name
}
