package startercmd

import (
	"context"
	"fmt"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
)

// ApproveCmd approves a card.
type ApproveCmd struct {
	Request  string `name:"card" aliases:"request" required:"" help:"Card id (--request is the same)."`
	Approver string `name:"approver" required:"" help:"Who approves (not the requester)."`
	Comment  string `name:"comment" help:"Optional comment for the audit trail."`
}

// RejectCmd rejects a card.
type RejectCmd struct {
	Request  string `name:"card" aliases:"request" required:"" help:"Card id (--request is the same)."`
	Approver string `name:"approver" required:"" help:"Who rejects."`
	Comment  string `name:"comment" required:"" help:"The reason (required)."`
}

// CancelCmd withdraws a request.
type CancelCmd struct {
	Request  string `name:"card" aliases:"request" required:"" help:"Card id (--request is the same)."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who cancels: only the requester may (default: the operating-system user)."`
	Comment  string `name:"comment" help:"Optional comment for the audit trail."`
}

// Run sends the approve update.
func (c *ApproveCmd) Run(e *env) error {
	return e.decide(c.Request, cards.Approve, "--approver", cards.DecisionInput{Actor: c.Approver, Comment: c.Comment})
}

// Run sends the reject update.
func (c *RejectCmd) Run(e *env) error {
	return e.decide(c.Request, cards.Reject, "--approver", cards.DecisionInput{Actor: c.Approver, Comment: c.Comment})
}

// Run sends the cancel update.
func (c *CancelCmd) Run(e *env) error {
	return e.decide(c.Request, cards.Cancel, "--operator", cards.DecisionInput{Actor: c.Operator, Comment: c.Comment})
}

// decide sends a decision as an update, so the caller learns whether it was
// accepted; the workflow's validator gives the reason when it is not. The
// actor (named by actorFlag) and the comment are checked against the input
// limits first, so that nothing oversized is sent.
func (e *env) decide(request, kind, actorFlag string, in cards.DecisionInput) error {
	if err := inputs(limits.Identifier(actorFlag, in.Actor), limits.Comment("--comment", in.Comment)); err != nil {
		return err
	}
	cardID, err := parseCardID(request)
	if err != nil {
		return err
	}
	if kind == cards.Reject && in.Comment == "" {
		return &usageError{"reject needs a reason: --comment REASON"}
	}
	ops, err := e.ops()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	var status cards.Status
	if wid := e.approvalWorkflow(cardID); wid != "" && kind != cards.Cancel {
		// Whatever approval is open on the card: a request's, or an
		// operation's on the card's lane.
		status, err = ops.DecideOn(ctx, cardID, wid, kind, in)
	} else {
		status, err = ops.Decide(ctx, cardID, kind, in)
	}
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	e.out.status(status, decisionHeadline(kind, in, status))
	return nil
}

func decisionHeadline(kind string, in cards.DecisionInput, s cards.Status) string {
	switch {
	case kind == "postpone":
		return fmt.Sprintf("Postponed by %s: the approval stays in your Inbox; nothing else changed.", in.Actor)
	case kind == cards.Approve && s.State == "":
		return fmt.Sprintf("Approval by %s recorded: %d of %d.", in.Actor, len(s.Approvals), s.ApprovalsRequired)
	case kind == cards.Approve && s.State == cards.StateRequested:
		return fmt.Sprintf("Approval by %s recorded: %d of %d; the card stays requested.", in.Actor, len(s.Approvals), s.ApprovalsRequired)
	default:
		return fmt.Sprintf("Card %s is %s.", s.ID, s.State)
	}
}
