package startercmd

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
)

// IssueCmd is Issue card and its operator choices after a failed production.
type IssueCmd struct {
	Produce IssueProduceCmd `cmd:"" default:"withargs" hidden:"" help:"Produce an approved card (or, with requestCard disabled, a new card for --user)."`
	Repeat  IssueRepeatCmd  `cmd:"" help:"Produce a failed card again, optionally on another station."`
	Cancel  IssueCancelCmd  `cmd:"" help:"Cancel a failed card's production for good (the card stays failed)."`
}

// IssueProduceCmd produces a card at a print station.
type IssueProduceCmd struct {
	Card     string `name:"card" help:"Card id of an approved card."`
	User     string `name:"user" help:"With requestCard disabled: the user to create and produce a card for."`
	CardType string `name:"card-type" help:"Card type for --user (default: the policy's defaultCardType)."`
	Station  string `name:"station" help:"Print station id (default: the card type's production.station)."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who issues the card (default: the operating-system user)."`
}

// IssueRepeatCmd repeats a failed production.
type IssueRepeatCmd struct {
	Card     string `name:"card" required:"" help:"Card id of a failed card."`
	Station  string `name:"station" help:"Print station id (default: the card type's production.station)."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who repeats the production."`
}

// IssueCancelCmd cancels a failed production.
type IssueCancelCmd struct {
	Card     string `name:"card" required:"" help:"Card id of a failed card."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who cancels the production."`
	Comment  string `name:"comment" help:"Why, for the audit trail."`
}

// Run produces the card and waits for the station's answer.
func (c *IssueProduceCmd) Run(e *env) error {
	if err := inputs(limits.Identifier("--operator", c.Operator), optional(limits.Identifier, "--station", c.Station),
		optional(limits.Identifier, "--user", c.User), optional(limits.Identifier, "--card-type", c.CardType)); err != nil {
		return err
	}
	in := issuecard.Input{Operator: c.Operator, Station: c.Station, Action: issuecard.ActionIssue}
	switch {
	case c.Card != "" && c.User != "":
		return &usageError{"give --card (an approved card) or --user (a new card, requestCard disabled), not both"}
	case c.Card != "":
		id, err := parseCardFlag("--card", c.Card)
		if err != nil {
			return err
		}
		in.CardID = id
	case c.User != "":
		in.CardID, in.UserID, in.CardType = uuid.NewString(), c.User, c.CardType
	default:
		return &usageError{"issue needs --card ID (an approved card), or --user ID when requestCard is disabled"}
	}
	return e.operate(in.CardID, issuecard.WorkflowType, in, fmt.Sprintf("Issue card %s, by %s", in.CardID, c.Operator))
}

// Run starts the repeated production.
func (c *IssueRepeatCmd) Run(e *env) error {
	if err := inputs(limits.Identifier("--operator", c.Operator), optional(limits.Identifier, "--station", c.Station)); err != nil {
		return err
	}
	id, err := parseCardFlag("--card", c.Card)
	if err != nil {
		return err
	}
	in := issuecard.Input{CardID: id, Operator: c.Operator, Station: c.Station, Action: issuecard.ActionRepeat}
	return e.operate(id, issuecard.WorkflowType, in, fmt.Sprintf("Repeat production of card %s, by %s", id, c.Operator))
}

// Run cancels the production.
func (c *IssueCancelCmd) Run(e *env) error {
	if err := inputs(limits.Identifier("--operator", c.Operator), limits.Comment("--comment", c.Comment)); err != nil {
		return err
	}
	id, err := parseCardFlag("--card", c.Card)
	if err != nil {
		return err
	}
	in := issuecard.Input{CardID: id, Operator: c.Operator, Action: issuecard.ActionCancel, Comment: c.Comment}
	return e.operate(id, issuecard.WorkflowType, in, fmt.Sprintf("Cancel production of card %s, by %s", id, c.Operator))
}

// operate runs one operation on the card's lane until it ends.
func (e *env) operate(cardID, workflowType string, input any, summary string) error {
	return e.runOnLane(cardops.Operation{CardID: cardID, Type: workflowType, Input: input, Summary: summary}, false, operationHeadline)
}

// runOnLane runs op on the card's lane, with progress lines while it
// waits, until it ends (or, with untilApproval, until it waits for an
// approval), and prints the card as it is afterwards under headline.
func (e *env) runOnLane(op cardops.Operation, untilApproval bool, headline func(lane.Status) string) error {
	ops, err := e.ops()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	if !e.g.JSON {
		ops.Progress = func(line string) { fmt.Fprintf(e.out.stderr, "  … %s\n", line) }
	}
	run := ops.Operate
	if untilApproval {
		run = ops.OperateUntilApproval
	}
	result, err := run(ctx, op)
	if err != nil && ctx.Err() != nil {
		if still := e.stillRunning(op.CardID); still != nil {
			return still
		}
	}
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	status, err := e.cardStatus(ctx, op.CardID)
	if err != nil {
		return err
	}
	e.out.status(status, headline(result))
	return nil
}

// stillRunning is the answer when the starter stops waiting for an
// operation that goes on (a station has up to production.stationTimeout
// to take a job): what it waits for, and how to follow it.
func (e *env) stillRunning(cardID string) error {
	ops, err := e.ops()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	open, err := ops.OpenOperation(ctx, cardID)
	if err != nil || open == nil {
		return nil
	}
	return &failure{Type: "StillRunning", Err: fmt.Errorf(
		"card %s: %s goes on (%s); the starter stopped waiting after %s (--timeout): follow it with `starter status --card %s`",
		cardID, open.Type, open.Step, e.g.Timeout, cardID)}
}

// operationHeadline says what an operation did, and what to do next when
// a production failed.
func operationHeadline(s lane.Status) string {
	switch {
	case s.Reason != "":
		return fmt.Sprintf("Production of card %s failed: %s\nNext: starter issue repeat --card %s [--station S]   (or give up: starter issue cancel --card %s)",
			s.CardID, s.Reason, s.CardID, s.CardID)
	case s.Type == issuecard.WorkflowType && s.Step == "production cancelled":
		return fmt.Sprintf("Production of card %s is cancelled; the card stays failed.", s.CardID)
	case s.Type == issuecard.WorkflowType:
		line := fmt.Sprintf("Card %s is %s (printed at %s).", s.CardID, s.State, s.Station)
		if s.Delivery != "" {
			line += " PIN: " + s.Delivery + "."
		}
		return line
	}
	return fmt.Sprintf("Card %s is %s.", s.CardID, s.State)
}

// parseCardFlag checks a card id given with flag.
func parseCardFlag(flag, s string) (string, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return "", &usageError{fmt.Sprintf("%s %s is not a card id (a UUID)", flag, quoted(s))}
	}
	return id.String(), nil
}
