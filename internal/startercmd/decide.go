package startercmd

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows"
)

// ApproveCmd approves a card.
type ApproveCmd struct {
	Request  string `name:"request" required:"" help:"Card id of the request."`
	Approver string `name:"approver" required:"" help:"Who approves (not the requester)."`
	Comment  string `name:"comment" help:"Optional comment for the audit trail."`
}

// RejectCmd rejects a card.
type RejectCmd struct {
	Request  string `name:"request" required:"" help:"Card id of the request."`
	Approver string `name:"approver" required:"" help:"Who rejects."`
	Comment  string `name:"comment" required:"" help:"The reason (required)."`
}

// CancelCmd withdraws a request.
type CancelCmd struct {
	Request  string `name:"request" required:"" help:"Card id of the request."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who cancels: only the requester may (default: the operating-system user)."`
	Comment  string `name:"comment" help:"Optional comment for the audit trail."`
}

// Run sends the approve update.
func (c *ApproveCmd) Run(e *env) error {
	return e.decide(c.Request, cards.Approve, cards.DecisionInput{Actor: c.Approver, Comment: c.Comment})
}

// Run sends the reject update.
func (c *RejectCmd) Run(e *env) error {
	return e.decide(c.Request, cards.Reject, cards.DecisionInput{Actor: c.Approver, Comment: c.Comment})
}

// Run sends the cancel update.
func (c *CancelCmd) Run(e *env) error {
	return e.decide(c.Request, cards.Cancel, cards.DecisionInput{Actor: c.Operator, Comment: c.Comment})
}

// decide sends a decision as an update, so the caller learns whether it was
// accepted; the workflow's validator gives the reason when it is not.
func (e *env) decide(request, kind string, in cards.DecisionInput) error {
	cardID, err := parseCardID(request)
	if err != nil {
		return err
	}
	if kind == cards.Reject && in.Comment == "" {
		return &usageError{"reject needs a reason: --comment REASON"}
	}
	cl, err := e.temporal()
	if err != nil {
		return &failure{Type: "TemporalUnreachable", Err: err}
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	stopProgress := e.out.progress(ctx, fmt.Sprintf("waiting for a worker on task queue %q to take the %s", e.g.TaskQueue, kind))
	defer stopProgress()
	var status cards.Status
	handle, err := cl.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.WorkflowID(cardID),
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
		final, statusErr := e.currentStatus(ctx, cardID)
		if statusErr != nil {
			return statusErr
		}
		return &refusal{Type: cards.ErrAlreadyDecided, Message: fmt.Sprintf("card %s is already %s", cardID, final.State)}
	}
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	stopProgress()
	e.out.status(status, decisionHeadline(kind, in, status))
	return nil
}

func decisionHeadline(kind string, in cards.DecisionInput, s cards.Status) string {
	switch {
	case kind == cards.Approve && s.State == cards.StateRequested:
		return fmt.Sprintf("Approval by %s recorded: %d of %d; the card stays requested.", in.Actor, len(s.Approvals), s.ApprovalsRequired)
	default:
		return fmt.Sprintf("Card %s is %s.", s.ID, s.State)
	}
}
