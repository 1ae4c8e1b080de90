package cardops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"

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
	if line := c.describeWaiting(desc, ""); line != "" {
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
func (c *Client) describeWaiting(desc *workflowservice.DescribeWorkflowExecutionResponse, fallback string) string {
	for _, pa := range desc.GetPendingActivities() {
		if pa.GetAttempt() <= 1 && pa.GetLastFailure() == nil {
			continue
		}
		line := fmt.Sprintf("waiting: %s, attempt %d failed", activityTitle(pa.GetActivityType().GetName()), pa.GetAttempt()-1)
		if f := pa.GetLastFailure(); f != nil {
			line += ": " + c.failureMessage(f)
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

// retryingIn starts the countdown part of a waiting line.
const retryingIn = "; retrying in "

// sameWait is a waiting line without its countdown, which changes every
// second: two lines with the same key say the same attempt failed.
func sameWait(line string) string {
	if i := strings.Index(line, retryingIn); i >= 0 {
		return line[:i]
	}
	return line
}

// failureMessage is what a failure Temporal holds says, for people. The
// worker's failure converter moves messages into the failure's encoded
// attributes (codec.FailureConverter), where Temporal's own message is a
// bare "Encoded failure": read them back with the client's converter when
// it is known.
func (c *Client) failureMessage(f *failurepb.Failure) string {
	if f.GetEncodedAttributes() == nil || c.Failures == nil {
		return f.GetMessage()
	}
	err := c.Failures.FailureToError(f)
	var app *temporal.ApplicationError
	switch {
	case errors.As(err, &app):
		return app.Message()
	case err != nil:
		return err.Error()
	}
	return f.GetMessage()
}

// activityTitles name the activities in waiting lines: Request card's, the
// shared approval process's, and the card lane's (Issue, Activate,
// Deactivate, Reactivate, Lock card).
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

	"CheckOperation":      "Check the card",
	"Transition":          "Write the card's new state",
	"RecordAbort":         "Record the aborted operation",
	"CheckActivate":       "Check activation",
	"Activate":            "Mark active",
	"BeginIssue":          "Begin production",
	"ProduceCard":         "Produce the card at the print station",
	"HoldCertificates":    "Hold certificates",
	"HoldAgain":           "Hold certificates again",
	"ReleaseCertificates": "Release certificates",
	"RevokeCertificates":  "Revoke certificates",
	"CompleteIssue":       "Mark issued",
	"DeliverPIN":          "Deliver PIN",
	"FailProduction":      "Record failed production",
	"CancelProduction":    "Cancel production",
}

func activityTitle(name string) string {
	if t, ok := activityTitles[name]; ok {
		return t
	}
	return name
}
