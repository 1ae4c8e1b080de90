package workerapp

import (
	"context"
	"errors"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
)

// orderRequester starts the Request card of a Request multiple cards
// order's item through the worker's own Temporal client, the way `starter
// request` does (update-with-start, back once the card is persisted).
type orderRequester struct{ ops *cardops.Client }

func newOrderRequester(c client.Client, taskQueue string) orderRequester {
	return orderRequester{ops: &cardops.Client{Temporal: c, TaskQueue: taskQueue}}
}

// RequestCard requests the card as one of a batch; the client's own
// refusals (RequestIdConflict, ...) become the activity's application
// errors, so the order reports them as the item's reason.
func (r orderRequester) RequestCard(ctx context.Context, cardID, userID, cardType, requestedBy string) (cards.Status, error) {
	s, err := r.ops.Request(ctx, cardops.RequestInput{CardID: cardID, UserID: userID, CardType: cardType, RequestedBy: requestedBy, Batch: true})
	var refusal *cardops.Refusal
	if errors.As(err, &refusal) {
		return s, temporal.NewNonRetryableApplicationError(refusal.Message, refusal.Type, nil)
	}
	return s, err
}
