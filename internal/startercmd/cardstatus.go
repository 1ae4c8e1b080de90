package startercmd

import (
	"context"
	"errors"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/cardview"
)

// cardStatus is the status document of a card at any point of its life:
// the request's (live from its workflow, or as stored), with what
// PostgreSQL knows since (state, number, validity, certificates) and the
// operation open on the card's lane, with what it waits for while a step
// is retried.
func (e *env) cardStatus(ctx context.Context, cardID string) (cards.Status, error) {
	status, err := e.currentStatus(ctx, cardID)
	var ref *refusal
	var opRef *cardops.Refusal
	if errors.As(err, &ref) || errors.As(err, &opRef) {
		// No request workflow: a card created by Issue card for a user.
		status, err = e.storedStatus(ctx, cardID)
	}
	if err != nil {
		return status, err
	}
	if err := e.addLifecycle(ctx, &status); err != nil {
		return status, err
	}
	if ops, opsErr := e.ops(); opsErr == nil {
		if open, waiting, err := ops.OpenOperationWaiting(ctx, cardID); err == nil && open != nil {
			status.Operation = &cards.Operation{Type: open.Type, Step: open.Step, Station: open.Station, Waiting: waiting}
			if status.Waiting == "" {
				// The request waits for nothing: what the card waits for
				// is its operation's retried step.
				status.Waiting = waiting
			}
		}
	}
	return status, nil
}

// addLifecycle adds what PostgreSQL, the system of record, says of the card
// after its request: its state now, its number, validity and certificates.
func (e *env) addLifecycle(ctx context.Context, s *cards.Status) error {
	if !written(s.State) {
		return nil
	}
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	c, err := st.Card(ctx, s.ID)
	if err != nil {
		return err
	}
	return cardview.AddLifecycle(ctx, st, c, s)
}
