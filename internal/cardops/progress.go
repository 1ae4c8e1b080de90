package cardops

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
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

// waitingLine says what the request waits for, from its pending activities.
func (c *Client) waitingLine(ctx context.Context, workflowID string) string {
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil || desc.GetWorkflowExecutionInfo() == nil {
		return fmt.Sprintf("waiting: no answer yet; is a worker polling task queue %q?", c.TaskQueue)
	}
	if line := describeWaiting(desc, ""); line != "" {
		return line
	}
	return fmt.Sprintf("waiting: no answer yet; is a worker polling task queue %q?", c.TaskQueue)
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
