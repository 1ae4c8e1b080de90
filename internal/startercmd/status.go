package startercmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows"
)

// StatusCmd shows a request's status document.
type StatusCmd struct {
	Request string `name:"request" required:"" help:"Card id of the request."`
}

// Run asks the workflow while it runs, and reads its result once it is closed.
func (c *StatusCmd) Run(e *env) error {
	cardID, err := parseCardID(c.Request)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	status, err := e.currentStatus(ctx, cardID)
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	e.out.status(status, "")
	return nil
}

func parseCardID(s string) (string, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return "", &usageError{fmt.Sprintf("--request %q is not a card id (a UUID)", s)}
	}
	return id.String(), nil
}

// currentStatus returns the live status of a running request or the final
// status of a closed one.
func (e *env) currentStatus(ctx context.Context, cardID string) (cards.Status, error) {
	cl, err := e.temporal()
	if err != nil {
		return cards.Status{}, &failure{Type: "TemporalUnreachable", Err: err}
	}
	wid := workflows.WorkflowID(cardID)
	desc, err := cl.DescribeWorkflowExecution(ctx, wid, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return cards.Status{}, &refusal{Type: cards.ErrNotFound, Message: fmt.Sprintf("no card request %s (workflow %s does not exist)", cardID, wid)}
	}
	if err != nil {
		return cards.Status{}, err
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return e.finishedStatus(ctx, cardID)
	}
	queryCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := cl.QueryWorkflow(queryCtx, wid, "", workflows.StatusQuery)
	if err != nil {
		if errors.Is(queryCtx.Err(), context.DeadlineExceeded) {
			fmt.Fprintf(e.out.stderr, "starter: no worker answered the status query within 10s; showing the card as stored in PostgreSQL (start `go run ./worker` for the live view)\n")
			return e.storedStatus(ctx, cardID)
		}
		return cards.Status{}, err
	}
	var status cards.Status
	if err := resp.Get(&status); err != nil {
		return cards.Status{}, err
	}
	return status, nil
}

// finishedStatus reads a closed request's result: its final status, or the
// business refusal it ended with. A cancelled or terminated workflow has no
// result, so its card is read from PostgreSQL.
func (e *env) finishedStatus(ctx context.Context, cardID string) (cards.Status, error) {
	cl, err := e.temporal()
	if err != nil {
		return cards.Status{}, err
	}
	var status cards.Status
	err = cl.GetWorkflow(ctx, workflows.WorkflowID(cardID), "").Get(ctx, &status)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		return status, nil
	case errors.As(err, &appErr):
		return cards.Status{}, err
	case temporal.IsCanceledError(err), isTerminated(err):
		return e.storedStatus(ctx, cardID)
	}
	return cards.Status{}, err
}

func isTerminated(err error) bool {
	var terminated *temporal.TerminatedError
	return errors.As(err, &terminated)
}

// storedStatus builds the status document from PostgreSQL.
func (e *env) storedStatus(ctx context.Context, cardID string) (cards.Status, error) {
	st, err := e.store()
	if err != nil {
		return cards.Status{}, &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	c, err := st.Card(ctx, cardID)
	if errors.Is(err, store.ErrNoRows) {
		return cards.Status{}, &refusal{Type: cards.ErrNotFound, Message: fmt.Sprintf("card %s was never persisted", cardID)}
	}
	if err != nil {
		return cards.Status{}, err
	}
	return statusFromRow(ctx, st, c)
}

func statusFromRow(ctx context.Context, st *store.Store, c store.Card) (cards.Status, error) {
	approvals, err := st.Approvals(ctx, c.ID)
	if err != nil {
		return cards.Status{}, err
	}
	return cards.Status{
		ID: c.ID, WorkflowID: c.WorkflowID, UserID: c.UserID, CardType: c.CardType,
		CommonName: c.CommonName, UPN: c.UPN, State: c.State, RequestedBy: c.RequestedBy,
		ApprovalsRequired: c.ApprovalsRequired, Approvals: approvals, Ignored: []cards.Ignored{},
	}, nil
}
