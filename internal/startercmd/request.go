package startercmd

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
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows"
)

// RequestCmd requests a card.
type RequestCmd struct {
	User      string `name:"user" required:"" help:"Id of the user the card is for."`
	CardType  string `name:"card-type" help:"Card type (default: the policy's defaultCardType)."`
	Operator  string `name:"operator" default:"${defaultOperator}" help:"Who requests the card (default: the operating-system user)."`
	RequestID string `name:"request-id" help:"Card id (a UUID). Give one to make a retried request safe: the same id attaches to the first request. Default: a new UUID."`
}

// Run starts the workflow and waits for the card to be persisted, in one call
// (update-with-start): it answers as soon as the card is written, without
// waiting for approvers.
func (c *RequestCmd) Run(e *env) error {
	if strings.TrimSpace(c.User) == "" {
		return &usageError{"--user must not be empty"}
	}
	cardID := c.RequestID
	if cardID == "" {
		cardID = uuid.NewString()
	} else {
		parsed, err := uuid.Parse(cardID)
		if err != nil {
			return &usageError{fmt.Sprintf("--request-id %q is not a UUID", cardID)}
		}
		cardID = parsed.String()
	}
	cl, err := e.temporal()
	if err != nil {
		return &failure{Type: "TemporalUnreachable", Err: err}
	}
	in := workflows.RequestCardInput{CardID: cardID, UserID: c.User, CardType: c.CardType, RequestedBy: c.Operator}
	wid := workflows.WorkflowID(cardID)
	attrs := []temporal.SearchAttributeUpdate{
		workflows.StateSearchAttribute.ValueSet(string(cards.StatePending)),
		workflows.UserIDSearchAttribute.ValueSet(c.User),
	}
	if c.CardType != "" {
		attrs = append(attrs, workflows.CardTypeSearchAttribute.ValueSet(c.CardType))
	}
	cardType := c.CardType
	if cardType == "" {
		cardType = "default type"
	}
	start := cl.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       wid,
		TaskQueue:                e.g.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(attrs...),
		StaticSummary:            fmt.Sprintf("Card for **%s** (%s), requested by %s", c.User, cardType, c.Operator),
		StaticDetails:            fmt.Sprintf("User: %s\n\nCard type: %s\n\nRequested by: %s\n\nCard id: %s", c.User, cardType, c.Operator, cardID),
	}, workflows.WorkflowType, in)

	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	stopProgress := e.out.progress(ctx, fmt.Sprintf("waiting for a worker on task queue %q to persist card %s", e.g.TaskQueue, cardID))
	defer stopProgress()
	var status cards.Status
	handle, err := cl.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   workflows.PersistedUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = handle.Get(ctx, &status)
	}
	if isAlreadyStarted(err) {
		// The request with this id already ran to its end: report its outcome.
		status, err = e.finishedStatus(ctx, cardID)
	}
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	stopProgress()
	e.out.status(status, requestHeadline(status))
	return nil
}

func requestHeadline(s cards.Status) string {
	switch s.State {
	case cards.StateApproved:
		if s.Decision == nil {
			return fmt.Sprintf("Card %s for %s is approved (no approval step for %s cards).", s.ID, s.UserID, s.CardType)
		}
	case cards.StateRequested:
		return fmt.Sprintf("Card %s for %s is requested; it needs %d approval(s).", s.ID, s.UserID, s.ApprovalsRequired)
	}
	return fmt.Sprintf("Card %s for %s is %s.", s.ID, s.UserID, s.State)
}

func isAlreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return err != nil && (errors.As(err, &started) || temporal.IsWorkflowExecutionAlreadyStartedError(err))
}

// timeoutHint turns a deadline into advice: the usual cause is that no worker polls.
func (e *env) timeoutHint(ctx context.Context, err error) error {
	var classified *failure
	if errors.As(err, &classified) {
		return err
	}
	var updateTimeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
	var deadline *serviceerror.DeadlineExceeded
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &updateTimeout) || errors.As(err, &deadline) {
		return &failure{Type: "Timeout", Err: fmt.Errorf("no answer within %s: is a worker polling task queue %q? Start one with `go run ./worker` (the request is kept and resumes when a worker polls)", e.g.Timeout, e.g.TaskQueue)}
	}
	var unavailable *serviceerror.Unavailable
	if errors.As(err, &unavailable) {
		return &failure{Type: "TemporalUnreachable", Err: fmt.Errorf("cannot reach Temporal at %s: %w", e.address, err)}
	}
	return err
}

// progress prints a line on stderr when an answer takes more than a moment,
// so that a missing worker does not look like a hung command.
func (o *output) progress(ctx context.Context, what string) (stop func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-time.After(3 * time.Second):
			fmt.Fprintf(o.stderr, "starter: still %s...\n", what)
		case <-done:
		case <-ctx.Done():
		}
	}()
	var stopped bool
	return func() {
		if !stopped {
			stopped = true
			close(done)
		}
	}
}
