// Package cardops is how programs act on card requests: request a card
// (update-with-start), approve, reject or cancel one (updates), and read its
// status (query or result). The starter CLI and the web console both go
// through it, so a person's action takes the same path whichever they use.
package cardops

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows"
)

// Client acts on card requests through Temporal.
type Client struct {
	Temporal  client.Client
	TaskQueue string
	// Progress, when set, receives one line each time the wait for an
	// answer has something new to say (a retrying activity, a missing worker).
	Progress func(line string)
}

// Refusal is a business refusal the client found itself (no such request,
// already decided); the workflow's own refusals are application errors.
type Refusal struct {
	Type    string
	Message string
}

func (r *Refusal) Error() string { return r.Message }

// ErrNoResult is returned by Finished for a request that was cancelled or
// terminated: it has no result, so its card must be read from PostgreSQL.
var ErrNoResult = errors.New("the request's workflow ended without a result")

// RequestInput is what an operator asks for.
type RequestInput struct {
	CardID      string
	UserID      string
	CardType    string
	RequestedBy string
}

// Request starts the RequestCard workflow and returns once the card is
// persisted or refused, in one call (update-with-start). The same card id
// twice attaches to the first request.
func (c *Client) Request(ctx context.Context, in RequestInput) (cards.Status, error) {
	wid := workflows.WorkflowID(in.CardID)
	attrs := []temporal.SearchAttributeUpdate{
		workflows.StateSearchAttribute.ValueSet(string(cards.StatePending)),
		workflows.UserIDSearchAttribute.ValueSet(in.UserID),
	}
	if in.CardType != "" {
		attrs = append(attrs, workflows.CardTypeSearchAttribute.ValueSet(in.CardType))
	}
	cardType := in.CardType
	if cardType == "" {
		cardType = "default type"
	}
	start := c.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       wid,
		TaskQueue:                c.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		StaticSummary:            fmt.Sprintf("Card for **%s** (%s), requested by %s", in.UserID, cardType, in.RequestedBy),
		StaticDetails:            fmt.Sprintf("User: %s\n\nCard type: %s\n\nRequested by: %s\n\nCard id: %s", in.UserID, cardType, in.RequestedBy, in.CardID),
	}, workflows.WorkflowType, workflows.RequestCardInput{CardID: in.CardID, UserID: in.UserID, CardType: in.CardType, RequestedBy: in.RequestedBy})

	stop := c.watch(ctx, wid)
	defer stop()
	var status cards.Status
	handle, err := c.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.PersistedUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = handle.Get(ctx, &status)
	}
	if IsAlreadyStarted(err) {
		// The request with this id already ran to its end: report its outcome.
		return c.Finished(ctx, in.CardID)
	}
	return status, err
}

// Decide sends approve, reject or cancel as an update and returns the status
// once the decision is durable; the workflow's validator or its directory
// check says why when it is refused.
func (c *Client) Decide(ctx context.Context, cardID, kind string, in cards.DecisionInput) (cards.Status, error) {
	wid := workflows.WorkflowID(cardID)
	stop := c.watch(ctx, wid)
	defer stop()
	var status cards.Status
	handle, err := c.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   wid,
		UpdateName:   kind,
		Args:         []any{in},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &status)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// Either no such request, or it already ended: say which.
		final, statusErr := c.Status(ctx, cardID)
		if statusErr != nil {
			return cards.Status{}, statusErr
		}
		return final, &Refusal{Type: cards.ErrAlreadyDecided, Message: fmt.Sprintf("card %s is already %s", cardID, final.State)}
	}
	return status, err
}

// Status returns the live status of a running request (the status query) or
// the final status of a closed one (its result).
func (c *Client) Status(ctx context.Context, cardID string) (cards.Status, error) {
	wid := workflows.WorkflowID(cardID)
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return cards.Status{}, &Refusal{Type: cards.ErrNotFound, Message: fmt.Sprintf("no card request %s (workflow %s does not exist)", cardID, wid)}
	}
	if err != nil {
		return cards.Status{}, err
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return c.Finished(ctx, cardID)
	}
	resp, err := c.Temporal.QueryWorkflow(ctx, wid, "", workflows.StatusQuery)
	if err != nil {
		return cards.Status{}, err
	}
	var status cards.Status
	if err := resp.Get(&status); err != nil {
		return cards.Status{}, err
	}
	status.Waiting = describeWaiting(desc, status.Waiting)
	return status, nil
}

// Finished reads a closed request's result: its final status, or the
// business refusal it ended with; ErrNoResult when it was cancelled or
// terminated.
func (c *Client) Finished(ctx context.Context, cardID string) (cards.Status, error) {
	var status cards.Status
	err := c.Temporal.GetWorkflow(ctx, workflows.WorkflowID(cardID), "").Get(ctx, &status)
	var appErr *temporal.ApplicationError
	var terminated *temporal.TerminatedError
	switch {
	case err == nil:
		return status, nil
	case errors.As(err, &appErr):
		return cards.Status{}, err
	case temporal.IsCanceledError(err), errors.As(err, &terminated):
		return cards.Status{}, ErrNoResult
	}
	return cards.Status{}, err
}

// IsAlreadyStarted reports whether err says the workflow id was used by a
// request that has already closed.
func IsAlreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return err != nil && (errors.As(err, &started) || temporal.IsWorkflowExecutionAlreadyStartedError(err))
}
