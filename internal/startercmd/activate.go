package startercmd

import (
	"fmt"

	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/workflows/activatecard"
)

// ActivateCmd activates an issued card.
type ActivateCmd struct {
	Card     string `name:"card" required:"" help:"Card id of an issued card."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who activates the card (default: the operating-system user)."`
}

// Run activates the card and waits for the answer.
func (c *ActivateCmd) Run(e *env) error {
	if err := inputs(limits.Identifier("--operator", c.Operator)); err != nil {
		return err
	}
	id, err := parseCardFlag("--card", c.Card)
	if err != nil {
		return err
	}
	return e.operate(id, activatecard.WorkflowType, activatecard.Input{CardID: id, Operator: c.Operator},
		fmt.Sprintf("Activate card %s, by %s", id, c.Operator))
}
