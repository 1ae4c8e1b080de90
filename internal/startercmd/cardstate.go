package startercmd

import (
	"fmt"
	"strings"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/lane"
)

// DeactivateCmd deactivates an active card: its certificates go on hold.
type DeactivateCmd struct {
	Card     string `name:"card" required:"" help:"Card id of an active card."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who deactivates the card (default: the operating-system user): a user holding requesterRole, or with selfService the card's holder."`
	Comment  string `name:"comment" help:"Why, for the audit trail."`
}

// ReactivateCmd reactivates an inactive card: its certificates are released.
type ReactivateCmd struct {
	Card     string `name:"card" required:"" help:"Card id of an inactive card."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who reactivates the card (default: the operating-system user): a user holding requesterRole."`
	Comment  string `name:"comment" help:"Why, for the audit trail."`
}

// LockCmd locks an active or inactive card for good: its certificates are
// revoked.
type LockCmd struct {
	Card        string `name:"card" required:"" help:"Card id of an active or inactive card."`
	Operator    string `name:"operator" default:"${defaultOperator}" help:"Who locks the card (default: the operating-system user): a user holding requesterRole, or with selfService the card's holder."`
	Comment     string `name:"comment" required:"" help:"Why the card is locked, for the audit trail (required)."`
	Compromised bool   `name:"compromised" help:"The card's keys may be known to someone else: revoke with keyCompromise instead of cessationOfOperation."`
}

// Run deactivates the card.
func (c *DeactivateCmd) Run(e *env) error {
	return e.cardStateOperation(cardstate.DeactivateType, "Deactivate", cardstate.Input{CardID: c.Card, Operator: c.Operator, Comment: c.Comment})
}

// Run reactivates the card.
func (c *ReactivateCmd) Run(e *env) error {
	return e.cardStateOperation(cardstate.ReactivateType, "Reactivate", cardstate.Input{CardID: c.Card, Operator: c.Operator, Comment: c.Comment})
}

// Run locks the card.
func (c *LockCmd) Run(e *env) error {
	if strings.TrimSpace(c.Comment) == "" {
		return &usageError{"lock needs --comment TEXT: why the card is locked, for the audit trail"}
	}
	return e.cardStateOperation(cardstate.LockType, "Lock", cardstate.Input{CardID: c.Card, Operator: c.Operator, Comment: c.Comment, Compromised: c.Compromised})
}

// cardStateOperation runs Deactivate, Reactivate or Lock card on the
// card's lane, returning at its end or once it waits for approval, and
// prints the card as it is afterwards. Lock pre-empts a Deactivate or
// Reactivate waiting for approval.
func (e *env) cardStateOperation(workflowType, verb string, in cardstate.Input) error {
	if err := inputs(limits.Identifier("--operator", in.Operator), limits.Comment("--comment", in.Comment)); err != nil {
		return err
	}
	id, err := parseCardFlag("--card", in.CardID)
	if err != nil {
		return err
	}
	in.CardID = id
	op := cardops.Operation{CardID: id, Type: workflowType, Input: in, Summary: fmt.Sprintf("%s card %s, by %s", verb, id, in.Operator)}
	if workflowType == cardstate.LockType {
		op.Preempt = &lane.Preemption{Type: cardstate.LockType, Operator: in.Operator, Comment: in.Comment, Compromised: in.Compromised}
	}
	return e.runOnLane(op, true, cardStateHeadline)
}

// cardStateHeadline says what Deactivate, Reactivate or Lock did.
func cardStateHeadline(s lane.Status) string {
	op := operationNoun(s.Type)
	switch {
	case s.AwaitingApproval:
		return fmt.Sprintf("The %s of card %s waits for approval; the card stays as it is until then (starter status --card %s).", op, s.CardID, s.CardID)
	case s.Aborted != "":
		return fmt.Sprintf("The %s of card %s ended aborted (%s); card %s stays %s.", op, s.CardID, s.Aborted, s.CardID, s.State)
	}
	return operationHeadline(s)
}

// operationNoun names a lane operation in headlines: deactivation,
// reactivation, lock.
func operationNoun(workflowType string) string {
	return map[string]string{cardstate.DeactivateType: "deactivation", cardstate.ReactivateType: "reactivation", cardstate.LockType: "lock"}[workflowType]
}
