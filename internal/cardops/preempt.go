package cardops

import (
	"context"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/lane"
)

// preemptible are the lane's workflow types that Lock card may end while
// they wait for approval (LIFECYCLE.md, "One operation at a time per
// card"); an IssueCard or ActivateCard makes a Lock CardBusy.
var preemptible = []string{cardstate.DeactivateType, cardstate.ReactivateType}

// preempt ends the lane's open run runID for a Lock card: it sends the
// pre-emption update and waits for the run to close. The workflow decides:
// its validator refuses (CardBusy) unless it waits for approval, and its
// handler runs Lock's own checks first (a refused Lock, NotAllowed or
// InvalidInput, pre-empts nothing); once accepted the run closes its
// approval as aborted, records why in the audit trail and ends.
func (c *Client) preempt(ctx context.Context, wid, runID string, p lane.Preemption) error {
	opCtx, sup := c.supervise(ctx, wid)
	updateID := c.updateID()
	err := retrying(opCtx, sup, func(opCtx context.Context) error {
		handle, err := c.Temporal.UpdateWorkflow(opCtx, client.UpdateWorkflowOptions{
			WorkflowID:   wid,
			RunID:        runID,
			UpdateID:     updateID,
			UpdateName:   lane.PreemptUpdate,
			Args:         []any{p},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = handle.Get(opCtx, nil)
		}
		return err
	})
	if err = sup.stop(opCtx, err); err != nil {
		return err
	}
	// The pre-empted run records its end; the Lock starts once it closed.
	// Its result (aborted) is the card page's and status's business.
	_ = c.Temporal.GetWorkflow(ctx, wid, runID).Get(ctx, nil)
	return ctx.Err()
}

// OperateUntilApproval is Operate for an operation that may wait for
// approval (Deactivate, Reactivate, Lock card): it returns at the end of
// the operation, or as soon as the operation waits for its approval, which
// may take days (the status then has AwaitingApproval set).
func (c *Client) OperateUntilApproval(ctx context.Context, op Operation) (lane.Status, error) {
	wid := lane.WorkflowID(op.CardID)
	runID, err := c.startOnLane(ctx, wid, op)
	if err != nil {
		return lane.Status{}, err
	}
	waitCtx, stop := context.WithCancel(ctx)
	defer stop()
	waiting := make(chan lane.Status, 1)
	go func() {
		if s, ok := c.awaitApproval(waitCtx, wid, runID); ok {
			waiting <- s
			stop()
		}
	}()
	status, err := c.awaitOperation(waitCtx, wid, runID)
	if err == nil {
		return status, nil
	}
	select {
	case s := <-waiting:
		return s, nil
	default:
	}
	return status, err
}

// awaitApproval follows the run's history (a long poll: the server answers
// as events arrive) and asks the run's status after each workflow task it
// completes, the only moments its state changes; ok once the run waits for
// its approval. It returns false when the run closes first or ctx ends.
func (c *Client) awaitApproval(ctx context.Context, wid, runID string) (lane.Status, bool) {
	events := c.Temporal.GetWorkflowHistory(ctx, wid, runID, true, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for events.HasNext() {
		ev, err := events.Next()
		if err != nil {
			return lane.Status{}, false
		}
		if ev.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			continue
		}
		queryCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := c.Temporal.QueryWorkflow(queryCtx, wid, runID, lane.StatusQuery)
		cancel()
		var s lane.Status
		if err == nil && resp.Get(&s) == nil && s.AwaitingApproval {
			return s, true
		}
	}
	return lane.Status{}, false
}
