package startercmd

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/workflows/approval"
	"github.com/cardflow/cardflow/workflows/lane"
	"github.com/cardflow/cardflow/workflows/requestcard"
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
	wid := e.approvalWorkflow(cardID)
	switch {
	case wid != "" && kind != cards.Cancel && wid != requestcard.WorkflowID(cardID):
		// An operation's approval, on the card's lane.
		return e.decideOperation(ctx, ops, cardID, wid, kind, in)
	case wid != "" && kind != cards.Cancel:
		status, err = ops.DecideOn(ctx, cardID, wid, kind, in)
	default:
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
	case kind == approval.PostponeUpdate:
		return postponedHeadline(in)
	case kind == cards.Approve && s.State == cards.StateRequested:
		return fmt.Sprintf("Approval by %s recorded: %d of %d; the card stays requested.", in.Actor, len(s.Approvals), s.ApprovalsRequired)
	default:
		return fmt.Sprintf("Card %s is %s.", s.ID, s.State)
	}
}

func postponedHeadline(in cards.DecisionInput) string {
	return fmt.Sprintf("Postponed by %s: the approval stays in your Inbox; nothing else changed.", in.Actor)
}

// decideOperation votes on the approval of an operation on the card's lane
// (Deactivate, Reactivate, Lock card) and prints the card as it is after
// the step, as `starter status` shows it. A vote that decides the
// approval lets the operation go on (approved: the certificates are held,
// released or revoked and the card changes state; rejected: it ends
// aborted), so the command follows the lane's run to its end, with
// progress lines, as `starter deactivate` does; a postponement or an
// approval short of the count changes nothing else.
func (e *env) decideOperation(ctx context.Context, ops *cardops.Client, cardID, wid, kind string, in cards.DecisionInput) error {
	v, err := ops.VoteOnOperation(ctx, cardID, wid, kind, in)
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	var headline string
	switch {
	case kind == approval.PostponeUpdate:
		headline = postponedHeadline(in)
	case !v.Decided:
		headline = fmt.Sprintf("Approval by %s recorded: %d of %d; the %s still waits for approval.", in.Actor, len(v.Approvals), v.ApprovalsRequired, v.Operation)
	default:
		if !e.g.JSON {
			ops.Progress = func(line string) { fmt.Fprintf(e.out.stderr, "  … %s\n", line) }
		}
		result, err := ops.AwaitOperation(ctx, cardID, v.RunID)
		if err != nil && ctx.Err() != nil {
			var still *failure
			if errors.As(e.stillRunning(cardID), &still) {
				return &failure{Type: still.Type, Err: fmt.Errorf("the %s by %s is recorded and decided the %s; %w", voteNoun(kind), in.Actor, v.Operation, still.Err)}
			}
		}
		if err != nil {
			return e.timeoutHint(ctx, err)
		}
		headline = decidedHeadline(result)
	}
	status, err := e.cardStatus(ctx, cardID)
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	e.out.status(status, headline)
	return nil
}

func voteNoun(kind string) string {
	if kind == cards.Reject {
		return "rejection"
	}
	return "approval"
}

// decidedHeadline says how an operation whose approval was decided ended:
// the card's new state, or the rejection that left it as it was.
func decidedHeadline(s lane.Status) string {
	if strings.HasPrefix(s.Aborted, "rejected ") {
		return fmt.Sprintf("The %s of card %s was %s; the card stays %s.", operationNoun(s.Type), s.CardID, s.Aborted, s.State)
	}
	return cardStateHeadline(s)
}
