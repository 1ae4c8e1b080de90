package cardops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/lane"
)

// Operation is one operation on a card's lane: the workflow type and its
// input, and a line for the Temporal UI.
type Operation struct {
	CardID  string
	Type    string
	Input   any
	Summary string
	// Preempt, set for Lock card, lets the operation end a Deactivate or
	// Reactivate that waits for approval instead of being refused
	// CardBusy (see preempt).
	Preempt *lane.Preemption
}

// operationMemo names the memo field holding the id of the call that
// started a lane's workflow: a start retried after a lost answer finds its
// own workflow there and waits for it instead of reporting the card busy.
const operationMemo = "operationId"

// Operate starts op on the card's lane (workflow id card-<card id>) and
// waits for its end, reporting each new step through Progress. A card with
// an open operation is refused with CardBusy, naming it.
func (c *Client) Operate(ctx context.Context, op Operation) (lane.Status, error) {
	wid := lane.WorkflowID(op.CardID)
	runID, err := c.startOnLane(ctx, wid, op)
	if err != nil {
		return lane.Status{}, err
	}
	return c.awaitOperation(ctx, wid, runID)
}

// startOnLane starts the operation; FAIL on a running workflow (the lane is
// busy) and ALLOW_DUPLICATE on a closed one (the card's earlier
// operations), with the error the Go client otherwise hides.
func (c *Client) startOnLane(ctx context.Context, wid string, op Operation) (string, error) {
	opID := c.updateID()
	opCtx, sup := c.supervise(ctx, wid)
	var runID string
	err := retrying(opCtx, sup, func(opCtx context.Context) error {
		run, err := c.Temporal.ExecuteWorkflow(opCtx, client.StartWorkflowOptions{
			ID:                                       wid,
			TaskQueue:                                c.TaskQueue,
			WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
			WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			WorkflowExecutionErrorWhenAlreadyStarted: true,
			Memo:                                     map[string]any{operationMemo: opID},
			StaticSummary:                            op.Summary,
		}, op.Type, op.Input)
		if err == nil {
			runID = run.GetRunID()
		}
		return err
	})
	err = sup.stop(opCtx, err)
	if err == nil || !IsAlreadyStarted(err) {
		return runID, err
	}
	desc, descErr := c.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	if descErr != nil {
		return "", descErr
	}
	info := desc.GetWorkflowExecutionInfo()
	if memo := info.GetMemo().GetFields()[operationMemo]; memo != nil {
		var started string
		if converter.GetDefaultDataConverter().FromPayload(memo, &started) == nil && started == opID {
			return info.GetExecution().GetRunId(), nil
		}
	}
	openType := info.GetType().GetName()
	if op.Preempt != nil && slices.Contains(preemptible, openType) {
		if err := c.preempt(ctx, wid, info.GetExecution().GetRunId(), *op.Preempt); err != nil {
			var app *temporal.ApplicationError
			if errors.As(err, &app) && app.Type() == cards.ErrCardBusy {
				return "", c.busy(ctx, op.CardID, wid, openType)
			}
			return "", err
		}
		// The lane is free: start once more, without pre-empting again.
		op.Preempt = nil
		return c.startOnLane(ctx, wid, op)
	}
	return "", c.busy(ctx, op.CardID, wid, openType)
}

// busy is the CardBusy refusal, naming the open operation and what it
// does now.
func (c *Client) busy(ctx context.Context, cardID, wid, openType string) error {
	step := ""
	queryCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if resp, err := c.Temporal.QueryWorkflow(queryCtx, wid, "", lane.StatusQuery); err == nil {
		var s lane.Status
		if resp.Get(&s) == nil && s.Step != "" {
			step = " (" + s.Step + ")"
		}
	}
	return &Refusal{Type: cards.ErrCardBusy, Message: fmt.Sprintf(
		"card %s is busy: %s is open%s; wait for it to end (starter status --card %s) and try again", cardID, openType, step, cardID)}
}

// awaitOperation waits for the operation's result, printing its steps as
// they change.
func (c *Client) awaitOperation(ctx context.Context, wid, runID string) (lane.Status, error) {
	done := make(chan struct{})
	var following sync.WaitGroup
	// A step line is never printed after the answer: the follower has
	// stopped before this returns.
	defer following.Wait()
	defer close(done)
	if c.Progress != nil {
		following.Go(func() { c.followSteps(ctx, wid, runID, done) })
	}
	var status lane.Status
	err := c.Temporal.GetWorkflow(ctx, wid, runID).Get(ctx, &status)
	return status, err
}

// followSteps reports each new step of a running operation until done,
// and while a step's activity is retried, each failed attempt (a waiting
// line from the pending activities, as for Request card): an operator
// tells a slow step from an outage (the CA down, PostgreSQL unreachable).
func (c *Client) followSteps(ctx context.Context, wid, runID string, done <-chan struct{}) {
	lastStep, lastWait := "", ""
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var lines []string
		step, answered := "", false
		queryCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if resp, err := c.Temporal.QueryWorkflow(queryCtx, wid, runID, lane.StatusQuery); err == nil {
			var s lane.Status
			if resp.Get(&s) == nil {
				answered = true
				if !s.Done {
					step = s.Step
				}
			}
		}
		cancel()
		waiting := ""
		if answered {
			if step != "" && step != lastStep {
				lastStep = step
				lines = append(lines, step)
			}
			if desc, err := c.Temporal.DescribeWorkflowExecution(ctx, wid, runID); err == nil {
				waiting = c.describeWaiting(desc, "")
			}
		} else {
			// No answer to the query: no worker, or none that knows the
			// run yet.
			waiting = c.waitingLine(ctx, wid)
		}
		if key := sameWait(waiting); key != lastWait {
			lastWait = key
			if waiting != "" {
				lines = append(lines, waiting)
			}
		}
		for _, line := range lines {
			select {
			case <-done:
				return
			default:
				c.Progress(line)
			}
		}
	}
}

// OpenOperation returns the lane's running operation, if any: what the
// status document shows as `operation`.
func (c *Client) OpenOperation(ctx context.Context, cardID string) (*lane.Status, error) {
	open, _, err := c.OpenOperationWaiting(ctx, cardID)
	return open, err
}

// OpenOperationWaiting is OpenOperation with what the operation waits for
// while one of its activities is retried (the status document's
// `operation.waiting`), such as "Revoke certificates, attempt 5 failed:
// ... connection refused; retrying in 16s"; "" while nothing is retried.
func (c *Client) OpenOperationWaiting(ctx context.Context, cardID string) (*lane.Status, string, error) {
	wid := lane.WorkflowID(cardID)
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	var nf *serviceerror.NotFound
	switch {
	case errors.As(err, &nf):
		return nil, "", nil
	case err != nil:
		return nil, "", err
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return nil, "", nil
	}
	s := lane.Status{Type: info.GetType().GetName(), CardID: cardID, Step: "starting"}
	queryCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if resp, err := c.Temporal.QueryWorkflow(queryCtx, wid, "", lane.StatusQuery); err == nil {
		_ = resp.Get(&s)
	}
	return &s, strings.TrimPrefix(c.describeWaiting(desc, ""), "waiting: "), nil
}
