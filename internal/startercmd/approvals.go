package startercmd

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/inbox"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/approval"
)

// PostponeCmd postpones a decision: the approval stays in the approver's
// Inbox, marked, with the comment.
type PostponeCmd struct {
	Request  string `name:"card" aliases:"request" required:"" help:"Card id (--request is the same)."`
	Approver string `name:"approver" required:"" help:"Who postpones."`
	Comment  string `name:"comment" help:"Why, or until when (shown in your Inbox)."`
}

// Run sends the postpone update to whatever approval is open on the card.
func (c *PostponeCmd) Run(e *env) error {
	return e.decide(c.Request, approval.PostponeUpdate, "--approver", cards.DecisionInput{Actor: c.Approver, Comment: c.Comment})
}

// ApprovalsCmd lists the open approvals an approver may decide: what the
// console's Inbox shows.
type ApprovalsCmd struct {
	Approver string `name:"approver" default:"${defaultOperator}" help:"Whose Inbox (default: the operating-system user)."`
	Page     string `name:"page" help:"The page after this cursor (printed at the end of the previous page)."`
	Limit    int    `name:"limit" default:"50" help:"At most this many approvals."`
}

type approvalsDoc struct {
	Approvals []approvalDoc `json:"approvals"`
	Next      string        `json:"next,omitempty"`
}

type approvalDoc struct {
	CardID            string     `json:"cardId"`
	Operation         string     `json:"operation"`
	WorkflowID        string     `json:"workflowId"`
	UserID            string     `json:"userId"`
	CommonName        string     `json:"commonName"`
	CardType          string     `json:"cardType"`
	RequestedBy       string     `json:"requestedBy"`
	ApprovalsRequired int        `json:"approvalsRequired"`
	Approvals         []string   `json:"approvals"`
	ExpiresAt         *time.Time `json:"expiresAt,omitempty"`
	CreatedAt         time.Time  `json:"createdAt"`
	PostponedByYou    string     `json:"postponedByYou,omitempty"`
	Postponed         bool       `json:"postponed"`
}

// Run reads the approvals table (one indexed query), as the Inbox does.
func (c *ApprovalsCmd) Run(e *env) error {
	if err := inputs(limits.Identifier("--approver", c.Approver)); err != nil {
		return err
	}
	if c.Limit <= 0 {
		return &usageError{fmt.Sprintf("--limit must be positive, got %d", c.Limit)}
	}
	if _, err := store.ParseInboxCursor(c.Page); err != nil {
		return &usageError{"--page: " + err.Error()}
	}
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	page, err := inbox.List(e.ctx, st, c.Approver, c.Page, c.Limit)
	if err != nil {
		return err
	}
	doc := approvalsDoc{Approvals: make([]approvalDoc, 0, len(page.Items)), Next: page.Next}
	for _, it := range page.Items {
		d := approvalDoc{CardID: it.CardID, Operation: it.Operation, WorkflowID: it.WorkflowID, UserID: it.UserID, CommonName: it.CommonName,
			CardType: it.CardType, RequestedBy: it.RequestedBy, ApprovalsRequired: it.ApprovalsRequired, Approvals: append([]string{}, it.ApprovedBy...),
			ExpiresAt: it.ExpiresAt, CreatedAt: it.CreatedAt}
		if it.PostponedByYou != nil {
			d.Postponed, d.PostponedByYou = true, it.PostponedByYou.Comment
		}
		doc.Approvals = append(doc.Approvals, d)
	}
	if e.out.json {
		e.out.writeJSON(doc)
		return nil
	}
	if len(doc.Approvals) == 0 {
		fmt.Fprintf(e.out.stdout, "Nothing waits for %s's decision.\n", c.Approver)
		return nil
	}
	tw := tabwriter.NewWriter(e.out.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CARD\tOPERATION\tUSER\tTYPE\tCOMMON NAME\tREQUESTED BY\tAPPROVALS\tEXPIRES\tNOTE")
	for _, d := range doc.Approvals {
		note := ""
		if d.Postponed {
			note = "Postponed by you: " + d.PostponedByYou
		}
		expires := ""
		if d.ExpiresAt != nil {
			expires = d.ExpiresAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d of %d\t%s\t%s\n", d.CardID, d.Operation, d.UserID, d.CardType, d.CommonName, d.RequestedBy,
			len(d.Approvals), d.ApprovalsRequired, expires, note)
	}
	_ = tw.Flush()
	if doc.Next != "" {
		fmt.Fprintf(e.out.stdout, "More: starter approvals --approver %s --page %s\n", c.Approver, doc.Next)
	}
	return nil
}

// approvalWorkflow is the workflow that holds the card's open approval,
// from its approvals row; "" when none is open or the database cannot say
// (then the request's own workflow is asked, as before the shared process).
func (e *env) approvalWorkflow(cardID string) string {
	if e.g.DatabaseURL == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
	defer cancel()
	st, err := store.Open(ctx, e.g.DatabaseURL, store.PoolOptions{MaxOpen: 1})
	if err != nil {
		return ""
	}
	defer st.Close()
	a, err := st.OpenApprovalOf(ctx, cardID)
	if errors.Is(err, store.ErrNoRows) || err != nil {
		return ""
	}
	return a.WorkflowID
}
