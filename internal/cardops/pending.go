package cardops

import (
	"context"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// NotYetDurableError says that a decision was accepted by the workflow but
// is not written yet (it waits for PostgreSQL) when the caller stopped
// waiting: it is not lost, and it will be written once.
type NotYetDurableError struct {
	CardID string
	Kind   string
	// Waiting is what the decision waits for ("Write decision, attempt 3
	// failed: ..."), when known.
	Waiting string
}

func (e *NotYetDurableError) Error() string {
	msg := fmt.Sprintf("the %s decision on card %s was accepted but is not written yet", e.Kind, e.CardID)
	if e.Waiting != "" {
		msg += " (" + strings.TrimPrefix(e.Waiting, "waiting: ") + ")"
	}
	return msg + fmt.Sprintf("; the request keeps it and writes it once, when the database answers again: check with `starter status --request %s`", e.CardID)
}

// acceptedNotDurable asks Temporal, after the caller's deadline, whether the
// update was accepted and not completed; then it describes what it waits for.
func (c *Client) acceptedNotDurable(workflowID, updateID, kind, cardID string) *NotYetDurableError {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	namespace := c.Namespace
	if namespace == "" {
		namespace = "default"
	}
	resp, err := c.Temporal.WorkflowService().PollWorkflowExecutionUpdate(ctx, &workflowservice.PollWorkflowExecutionUpdateRequest{
		Namespace: namespace,
		UpdateRef: &updatepb.UpdateRef{
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: workflowID},
			UpdateId:          updateID,
		},
		WaitPolicy: &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED},
	})
	if err != nil || resp.GetStage() != enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED || resp.GetOutcome() != nil {
		return nil
	}
	pending := &NotYetDurableError{CardID: cardID, Kind: kind}
	if desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, ""); err == nil {
		pending.Waiting = c.describeWaiting(desc, "")
	}
	return pending
}
