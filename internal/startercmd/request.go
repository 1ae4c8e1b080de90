package startercmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
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
	// Checked before anything is sent: the user id and the card type become
	// search attributes, which Temporal bounds at 2 KB.
	if err := inputs(limits.Identifier("--user", c.User), limits.Identifier("--operator", c.Operator),
		optional(limits.Identifier, "--card-type", c.CardType)); err != nil {
		return err
	}
	cardID := c.RequestID
	if cardID == "" {
		cardID = uuid.NewString()
	} else {
		parsed, err := uuid.Parse(cardID)
		if err != nil {
			return &usageError{fmt.Sprintf("--request-id %s is not a UUID", quoted(cardID))}
		}
		cardID = parsed.String()
	}
	ops, err := e.ops()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	status, err := ops.Request(ctx, cardops.RequestInput{CardID: cardID, UserID: c.User, CardType: c.CardType, RequestedBy: c.Operator})
	if errors.Is(err, cardops.ErrNoResult) {
		status, err = e.storedStatus(ctx, cardID)
	}
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
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

// timeoutHint turns a deadline into advice: the usual cause is that no worker polls.
func (e *env) timeoutHint(ctx context.Context, err error) error {
	var classified *failure
	var down *cardops.UnreachableError
	var notYet *cardops.NotYetDurableError
	if errors.As(err, &classified) || errors.As(err, &down) || errors.As(err, &notYet) {
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
