package cardops

import (
	"context"

	"github.com/cardflow/cardflow/workflows/lane"
)

// StartOperation starts op on the card's lane and returns the run's id
// without waiting for its end: the first half of Operate, for a caller (the
// console) that answers a person at once and follows a long operation, such
// as a production at a print station, on a page that polls. A card with an
// open operation is refused with CardBusy, naming it, as in Operate.
func (c *Client) StartOperation(ctx context.Context, op Operation) (string, error) {
	return c.startOnLane(ctx, lane.WorkflowID(op.CardID), op)
}

// AwaitOperation waits for the end of run runID on the card's lane, as
// Operate does after the start: the operation's final status, or the
// refusal it ended with. When ctx ends first the operation runs on.
func (c *Client) AwaitOperation(ctx context.Context, cardID, runID string) (lane.Status, error) {
	return c.awaitOperation(ctx, lane.WorkflowID(cardID), runID)
}
