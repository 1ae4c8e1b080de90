package startercmd

import (
	"fmt"
	"text/tabwriter"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
)

// ListCmd lists cards from PostgreSQL.
type ListCmd struct {
	State string `name:"state" enum:",registered,requested,approved,rejected,aborted,failed,issued,active,inactive,locked,expired" default:"" help:"Only cards in this state (any of the eleven: registered, requested, approved, rejected, aborted, failed, issued, active, inactive, locked, expired)."`
	User  string `name:"user" help:"Only cards of this user."`
	Limit int    `name:"limit" default:"50" help:"At most this many cards, newest first."`
}

type listDoc struct {
	Cards []cards.Status `json:"cards"`
}

// Run reads the cards table: the list must work for millions of cards, which
// the indexes serve and Temporal's visibility is not meant for.
func (c *ListCmd) Run(e *env) error {
	if err := inputs(optional(limits.Identifier, "--user", c.User)); err != nil {
		return err
	}
	if c.Limit <= 0 {
		return &usageError{fmt.Sprintf("--limit must be positive, got %d", c.Limit)}
	}
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	rows, err := st.ListCards(e.ctx, store.ListFilter{State: cards.State(c.State), UserID: c.User, Limit: c.Limit})
	if err != nil {
		return err
	}
	doc := listDoc{Cards: make([]cards.Status, 0, len(rows))}
	for _, row := range rows {
		s, err := statusFromRow(e.ctx, st, row)
		if err != nil {
			return err
		}
		doc.Cards = append(doc.Cards, s)
	}
	if e.out.json {
		e.out.writeJSON(doc)
		return nil
	}
	if len(doc.Cards) == 0 {
		fmt.Fprintln(e.out.stdout, "No cards match.")
		return nil
	}
	tw := tabwriter.NewWriter(e.out.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CARD\tUSER\tTYPE\tSTATE\tCOMMON NAME\tUPN\tREQUESTED BY\tCREATED")
	for i, s := range doc.Cards {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.UserID, s.CardType, s.State, s.CommonName, s.UPN, s.RequestedBy, rows[i].CreatedAt.UTC().Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}
