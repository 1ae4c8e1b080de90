package cardops

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows"
)

// watch reports progress while a call waits: after a moment without an
// answer, and whenever the request's pending activity has a new failure.
// It returns a function that stops it.
func (c *Client) watch(ctx context.Context, workflowID string) (stop func()) {
	if c.Progress == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-time.After(3 * time.Second):
		case <-ctx.Done():
			return
		}
		last := ""
		ticker := time.NewTicker(2 * time.Second)
		defer ticker.Stop()
		for {
			line := c.waitingLine(ctx, workflowID)
			if line != last {
				c.Progress(line)
				last = line
			}
			select {
			case <-ticker.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

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
	if resp, err := c.Temporal.QueryWorkflow(queryCtx, workflowID, "", workflows.StatusQuery); err == nil {
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
	"CheckRequest":      "Check user and requester",
	"CheckUserState":    "Check user",
	"AuthorizeDecision": "Check approver",
	"ResolvePolicy":     "Resolve policy",
	"Notify":            "Send e-mail",
}

func activityTitle(name string) string {
	if t, ok := activityTitles[name]; ok {
		return t
	}
	return name
}
