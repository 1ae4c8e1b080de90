// Package cardops is how programs act on card requests: request a card
// (update-with-start), approve, reject or cancel one (updates), and read its
// status (query or result). The starter CLI and the web console both go
// through it, so a person's action takes the same path whichever they use.
package cardops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// Client acts on card requests through Temporal.
type Client struct {
	Temporal  client.Client
	TaskQueue string
	// Progress, when set, receives one line each time the wait for an
	// answer has something new to say (a retrying activity, a missing
	// worker, Temporal unreachable).
	Progress func(line string)
	// Namespace is the Temporal namespace of the client (default "default").
	Namespace string
	// Address is Temporal's host:port, for messages and the reachability probe.
	Address string
	// TemporalWait is how long an operation keeps trying while Temporal is
	// unreachable (a server restart) before it gives up with an
	// *UnreachableError; zero means DefaultTemporalWait.
	TemporalWait time.Duration
	// UpdateID, when set, is the id of the update the next operation sends,
	// so that the same command sent again (after a lost answer, a restart)
	// is the same update and applies once; a program sets a new one per
	// action. Empty: each operation picks a new id and reuses it for its
	// own retries.
	UpdateID string
	// Failures, when set, is the client's failure converter (the one
	// Temporal was dialled with): waiting lines read a retrying activity's
	// failure message with it, which the worker's converter keeps in the
	// failure's encoded attributes. Unset, they show Temporal's message.
	Failures converter.FailureConverter
}

// DefaultTemporalWait is how long an operation waits for an unreachable
// Temporal by default: longer than a server restart, short enough for a
// person at a terminal.
const DefaultTemporalWait = time.Minute

func (c *Client) temporalWait() time.Duration {
	if c.TemporalWait > 0 {
		return c.TemporalWait
	}
	return DefaultTemporalWait
}

func (c *Client) updateID() string {
	if c.UpdateID != "" {
		return c.UpdateID
	}
	return uuid.NewString()
}

// retrying calls call again while it fails because Temporal is briefly
// unavailable, until ctx ends, and at once when the supervisor sees Temporal
// answer again after an outage (a long poll begun before a server restart
// would otherwise wait out its own timeout); the update id in the call keeps
// a repeated update from applying twice.
func retrying(ctx context.Context, sup *supervisor, call func(context.Context) error) error {
	for {
		attempt, cancel := context.WithCancelCause(ctx)
		sup.setKick(cancel)
		err := call(attempt)
		kicked := errors.Is(context.Cause(attempt), errReconnected)
		cancel(nil)
		switch {
		case err == nil || ctx.Err() != nil:
			return err
		case kicked:
			continue
		case !IsTransient(err):
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
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
	// Batch marks a card of a Request multiple cards order (approved at
	// once unless the policy's batchRequestApproval says otherwise).
	Batch bool
}

// Request starts the RequestCard workflow and returns once the card is
// persisted or refused, in one call (update-with-start). The same card id
// twice attaches to the first request; a card id already used for another
// user or card type is refused with RequestIdConflict.
func (c *Client) Request(ctx context.Context, in RequestInput) (cards.Status, error) {
	wid := requestcard.WorkflowID(in.CardID)
	input := requestcard.RequestCardInput{CardID: in.CardID, UserID: in.UserID, CardType: in.CardType, RequestedBy: in.RequestedBy, Batch: in.Batch}
	cardType := in.CardType
	if cardType == "" {
		cardType = "default type"
	}
	opCtx, sup := c.supervise(ctx, wid)
	updateID := c.updateID()
	var status cards.Status
	err := retrying(opCtx, sup, func(opCtx context.Context) error {
		// A start operation runs once; each attempt needs its own.
		start := c.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
			ID:                       wid,
			TaskQueue:                c.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			TypedSearchAttributes:    requestcard.StartSearchAttributes(input),
			StaticSummary:            fmt.Sprintf("Card for **%s** (%s), requested by %s", in.UserID, cardType, in.RequestedBy),
			StaticDetails:            fmt.Sprintf("User: %s\n\nCard type: %s\n\nRequested by: %s\n\nCard id: %s", in.UserID, cardType, in.RequestedBy, in.CardID),
		}, requestcard.WorkflowType, input)
		handle, err := c.Temporal.UpdateWithStartWorkflow(opCtx, client.UpdateWithStartWorkflowOptions{
			StartWorkflowOperation: start,
			UpdateOptions: client.UpdateWorkflowOptions{
				UpdateID:     updateID,
				UpdateName:   requestcard.PersistedUpdate,
				WaitForStage: client.WorkflowUpdateStageCompleted,
			},
		})
		if err == nil {
			err = handle.Get(opCtx, &status)
		}
		return err
	})
	err = sup.stop(opCtx, err)
	if IsAlreadyStarted(err) {
		// The request with this id already ran to its end: report its outcome.
		status, err = c.Finished(ctx, in.CardID)
	}
	if conflict := c.requestIDConflict(ctx, in, status, err); conflict != nil {
		return cards.Status{}, conflict
	}
	return status, err
}

// Decide sends approve, reject or cancel as an update and returns the status
// once the decision is durable; the workflow's validator or its directory
// check says why when it is refused.
func (c *Client) Decide(ctx context.Context, cardID, kind string, in cards.DecisionInput) (cards.Status, error) {
	return c.DecideOn(ctx, cardID, requestcard.WorkflowID(cardID), kind, in)
}

// DecideOn is Decide sent to the workflow wid that holds the card's open
// approval (the approvals row names it: a request's or an operation's on
// the card's lane); approve, reject and postpone. An operation's approval
// answers with the approval's counts only (see VoteOnOperation for the
// rest of its answer).
func (c *Client) DecideOn(ctx context.Context, cardID, wid, kind string, in cards.DecisionInput) (cards.Status, error) {
	if wid != requestcard.WorkflowID(cardID) {
		v, err := c.VoteOnOperation(ctx, cardID, wid, kind, in)
		if err != nil {
			return cards.Status{}, err
		}
		return cards.Status{ID: cardID, WorkflowID: wid, ApprovalsRequired: v.ApprovalsRequired,
			Approvals: v.Approvals, Postponed: v.Postponed}, nil
	}
	var status cards.Status
	_, err := c.vote(ctx, cardID, wid, kind, in, &status)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		// Either no such request, or it already ended: say which.
		final, statusErr := c.Status(ctx, cardID)
		if statusErr != nil {
			return cards.Status{}, statusErr
		}
		return final, &Refusal{Type: cards.ErrAlreadyDecided, Message: fmt.Sprintf("card %s is already %s", cardID, final.State)}
	}
	if err == nil && status.ID == "" {
		status.ID = cardID
	}
	return status, err
}

// OperationVote is a vote on the approval of an operation on the card's
// lane (Deactivate, Reactivate, Lock card), as the workflow answered it:
// the approval's status after the vote, the run that holds it, and
// whether the vote decided it.
type OperationVote struct {
	// Operation is what is being approved (deactivation, ...).
	Operation         string           `json:"operation"`
	ApprovalsRequired int              `json:"approvalsRequired"`
	Approvals         []cards.Approval `json:"approvals"`
	Postponed         []cards.Approval `json:"postponed"`
	// RunID is the lane's run whose approval took the vote: once the vote
	// decided, the run goes on to its end (AwaitOperation).
	RunID string `json:"-"`
	// Decided says the vote ended the approval: a rejection, or the
	// approval that made the count. The operation then runs its steps
	// (approved) or ends aborted (rejected), without waiting for anyone.
	Decided bool `json:"-"`
}

// VoteOnOperation sends approve, reject or postpone as an update to the
// lane workflow wid that holds the card's open approval, and returns once
// the vote is recorded (a deciding vote: once the approval is closed).
func (c *Client) VoteOnOperation(ctx context.Context, cardID, wid, kind string, in cards.DecisionInput) (OperationVote, error) {
	var v OperationVote
	runID, err := c.vote(ctx, cardID, wid, kind, in, &v)
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return OperationVote{}, &Refusal{Type: cards.ErrAlreadyDecided, Message: fmt.Sprintf("the approval on card %s is no longer open (workflow %s ended)", cardID, wid)}
	}
	if err != nil {
		return OperationVote{}, err
	}
	v.RunID = runID
	v.Decided = kind == cards.Reject || (kind == cards.Approve && len(v.Approvals) >= v.ApprovalsRequired)
	return v, nil
}

// vote sends one decision update to wid and decodes its answer into
// answer; it returns the run that took it. An update accepted but not
// completed when the caller stops waiting is a *NotYetDurableError.
func (c *Client) vote(ctx context.Context, cardID, wid, kind string, in cards.DecisionInput, answer any) (string, error) {
	opCtx, sup := c.supervise(ctx, wid)
	updateID := c.updateID()
	runID := ""
	err := retrying(opCtx, sup, func(opCtx context.Context) error {
		handle, err := c.Temporal.UpdateWorkflow(opCtx, client.UpdateWorkflowOptions{
			WorkflowID:   wid,
			UpdateID:     updateID,
			UpdateName:   kind,
			Args:         []any{in},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			runID = handle.RunID()
			err = handle.Get(opCtx, answer)
		}
		return err
	})
	err = sup.stop(opCtx, err)
	if err != nil && opCtx.Err() != nil {
		if pending := c.acceptedNotDurable(wid, updateID, kind, cardID); pending != nil {
			return "", pending
		}
	}
	return runID, err
}

// Status returns the live status of a running request (the status query) or
// the final status of a closed one (its result).
func (c *Client) Status(ctx context.Context, cardID string) (cards.Status, error) {
	wid := requestcard.WorkflowID(cardID)
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return cards.Status{}, &Refusal{Type: cards.ErrNotFound, Message: fmt.Sprintf("no card request %s (workflow %s does not exist)", cardID, wid)}
	}
	if err != nil {
		// Unreachable only when the address refuses connections: a busy
		// server's error is reported as it is.
		if c.Address != "" {
			if dialErr := temporalconn.Reachable(c.Address, time.Second); dialErr != nil {
				return cards.Status{}, &UnreachableError{Address: c.Address, Cause: UnreachableCause(c.Address, err)}
			}
		}
		return cards.Status{}, err
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return c.Finished(ctx, cardID)
	}
	resp, err := c.Temporal.QueryWorkflow(ctx, wid, "", requestcard.StatusQuery)
	if err != nil {
		return cards.Status{}, err
	}
	var status cards.Status
	if err := resp.Get(&status); err != nil {
		return cards.Status{}, err
	}
	// The document holds what it waits for without the progress prefix.
	status.Waiting = strings.TrimPrefix(c.describeWaiting(desc, status.Waiting), "waiting: ")
	return status, nil
}

// Finished reads a closed request's result: its final status, or the
// business refusal it ended with; ErrNoResult when it was cancelled or
// terminated.
func (c *Client) Finished(ctx context.Context, cardID string) (cards.Status, error) {
	var status cards.Status
	err := c.Temporal.GetWorkflow(ctx, requestcard.WorkflowID(cardID), "").Get(ctx, &status)
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
