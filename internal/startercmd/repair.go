package startercmd

import (
	"fmt"

	"github.com/cardflow/cardflow/internal/repair"
)

// RepairCmd aborts requested cards that no running workflow will ever
// decide (see package repair).
type RepairCmd struct {
	DryRun bool `name:"dry-run" help:"List the stranded cards and change nothing."`
}

type repairDoc struct {
	DryRun   bool              `json:"dryRun"`
	Stranded []repair.Stranded `json:"stranded"`
}

// Run needs both PostgreSQL (the cards) and Temporal (their workflows).
func (c *RepairCmd) Run(e *env) error {
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	tc, err := e.temporal()
	if err != nil {
		return &failure{Type: "TemporalUnreachable", Err: err}
	}
	found, err := repair.Run(e.ctx, st, tc, repair.Options{DryRun: c.DryRun})
	if err != nil {
		return err
	}
	if e.out.json {
		e.out.writeJSON(repairDoc{DryRun: c.DryRun, Stranded: append([]repair.Stranded{}, found...)})
		return nil
	}
	if len(found) == 0 {
		fmt.Fprintln(e.out.stdout, "No stranded cards: every requested card has a running workflow.")
		return nil
	}
	for _, s := range found {
		verb := "aborted"
		switch {
		case c.DryRun:
			verb = "would abort"
		case !s.Aborted:
			verb = "left (decided meanwhile)"
		}
		fmt.Fprintf(e.out.stdout, "%s card %s (user %s, %s card): workflow %s %s\n", verb, s.CardID, s.UserID, s.CardType, s.WorkflowID, s.WorkflowStatus)
	}
	return nil
}
