package cardops

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/order"
)

// StartOrder starts the Order workflow (order-<order id>) and returns at
// once: the order's rows appear once its first step has written them. A
// second start of the same order id is refused by Temporal.
func (c *Client) StartOrder(ctx context.Context, in order.Input, summary string) (client.WorkflowRun, error) {
	opCtx, sup := c.supervise(ctx, order.WorkflowID(in.OrderID))
	var run client.WorkflowRun
	err := retrying(opCtx, sup, func(opCtx context.Context) error {
		var err error
		run, err = c.Temporal.ExecuteWorkflow(opCtx, client.StartWorkflowOptions{
			ID:                       order.WorkflowID(in.OrderID),
			TaskQueue:                c.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			StaticSummary:            summary,
		}, order.WorkflowType, in)
		return err
	})
	return run, sup.stop(opCtx, err)
}

// ErrOrderClosed is an update sent to an order whose workflow has ended
// (completed or cancelled): the caller says so from PostgreSQL.
var ErrOrderClosed = errors.New("the order's workflow has ended")

// UpdateOrder sends Repeat production or Complete order (order.RepeatUpdate,
// order.CompleteUpdate) and returns once the order has written it; the
// workflow's validator says why when it is refused.
func (c *Client) UpdateOrder(ctx context.Context, orderID, name string, arg, result any) error {
	wid := order.WorkflowID(orderID)
	opCtx, sup := c.supervise(ctx, wid)
	updateID := c.updateID()
	err := retrying(opCtx, sup, func(opCtx context.Context) error {
		handle, err := c.Temporal.UpdateWorkflow(opCtx, client.UpdateWorkflowOptions{
			WorkflowID: wid, UpdateID: updateID, UpdateName: name, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = handle.Get(opCtx, result)
		}
		return err
	})
	err = sup.stop(opCtx, err)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return ErrOrderClosed
	}
	return err
}

// OrderNotFound is the refusal for an order id that names no order.
func OrderNotFound(orderID string) error {
	return &Refusal{Type: cards.ErrNotFound, Message: fmt.Sprintf("no order %s (starter order list shows the orders)", orderID)}
}
