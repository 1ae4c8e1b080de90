package startercmd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// StatusCmd shows a request's status document.
type StatusCmd struct {
	Request string `name:"card" aliases:"request" required:"" help:"Card id (--request is the same)."`
}

// Run asks the workflow while it runs, and reads its result once it is closed.
func (c *StatusCmd) Run(e *env) error {
	cardID, err := parseCardID(c.Request)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	status, err := e.cardStatus(ctx, cardID)
	if err != nil {
		return e.timeoutHint(ctx, err)
	}
	e.storedNotifications(ctx, &status)
	e.out.status(status, "")
	return nil
}

func parseCardID(s string) (string, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return "", &usageError{fmt.Sprintf("--card %s is not a card id (a UUID)", quoted(s))}
	}
	return id.String(), nil
}

// currentStatus returns the live status of a running request or the final
// status of a closed one; without a worker to answer the query, or for a
// request cancelled from Temporal, the card as stored in PostgreSQL.
func (e *env) currentStatus(ctx context.Context, cardID string) (cards.Status, error) {
	ops, err := e.ops()
	if err != nil {
		return cards.Status{}, err
	}
	queryCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	status, err := ops.Status(queryCtx, cardID)
	switch {
	case errors.Is(err, cardops.ErrNoResult):
		return e.storedStatus(ctx, cardID)
	case err != nil && errors.Is(queryCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		fmt.Fprintf(e.out.stderr, "starter: no worker answered the status query within 10s; showing the card as stored in PostgreSQL (start `go run ./worker` for the live view)\n")
		return e.storedStatus(ctx, cardID)
	}
	return status, err
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
	notifications, err := st.StatusNotifications(ctx, c.ID)
	if err != nil {
		return cards.Status{}, err
	}
	return cards.Status{
		ID: c.ID, WorkflowID: c.WorkflowID, UserID: c.UserID, CardType: c.CardType,
		CommonName: c.CommonName, UPN: c.UPN, State: c.State, RequestedBy: c.RequestedBy,
		ApprovalsRequired: c.ApprovalsRequired, Approvals: approvals, Ignored: []cards.Ignored{},
		Notifications: notifications,
	}, nil
}

// storedNotificationsWait bounds the extra PostgreSQL read of `starter
// status`: the e-mails are a detail, not worth holding up the answer.
const storedNotificationsWait = 2 * time.Second

// storedNotifications lists a card's e-mails from the notifications table
// when the workflow's status has none: e-mails queued with the card writes
// (the notification outbox) are sent by the worker's dispatcher, and only
// the table knows how they went. It reads nothing for a card never written
// or while the request waits for infrastructure (PostgreSQL may be the one
// missing), and an unreachable database leaves the status as it is.
func (e *env) storedNotifications(ctx context.Context, s *cards.Status) {
	if s.Notifications != nil || requestWaits(*s) || !written(s.State) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storedNotificationsWait)
	defer cancel()
	st, err := store.Open(ctx, e.g.DatabaseURL, store.PoolOptions{MaxOpen: 1})
	if err != nil {
		return
	}
	defer st.Close()
	if n, err := st.StatusNotifications(ctx, s.ID); err == nil {
		s.Notifications = n
	}
}

// requestWaits says the request (not an operation on the card's lane)
// waits for infrastructure: the document's waiting is its own.
func requestWaits(s cards.Status) bool {
	return s.Waiting != "" && (s.Operation == nil || s.Operation.Waiting != s.Waiting)
}

// written says a card in state s is in the cards table.
func written(s cards.State) bool {
	switch s {
	case cards.StatePending, cards.StateRefused, "":
		return false
	}
	return true
}
