package cardops

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// requestIDConflict refuses the answer to a request whose card id already
// names a card for another user or card type: update-with-start attaches to
// the workflow with that id whoever it is for, and its status (or refusal)
// would be reported as the answer to this request. It compares the answer's
// status, or, when the answer is a refusal or no result, the workflow's
// search attributes; any other error says nothing about the card and is
// left alone. An omitted card type (the policy's default) matches any.
func (c *Client) requestIDConflict(ctx context.Context, in RequestInput, status cards.Status, err error) error {
	userID, cardType := status.UserID, status.CardType
	if err != nil {
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) && !errors.Is(err, ErrNoResult) {
			return nil
		}
		userID, cardType = c.heldBy(ctx, requestcard.WorkflowID(in.CardID))
	}
	if userID == "" || (userID == in.UserID && (in.CardType == "" || cardType == "" || cardType == in.CardType)) {
		return nil
	}
	holder := "user " + userID
	if cardType != "" {
		holder += ", card type " + cardType
	}
	return &Refusal{Type: cards.ErrRequestIDConflict, Message: fmt.Sprintf(
		"request id %s is already used by card %s (%s), not a card for user %s%s: a request id names one card; leave --request-id out or give a new UUID",
		in.CardID, in.CardID, holder, in.UserID, cardTypeSuffix(in.CardType))}
}

func cardTypeSuffix(cardType string) string {
	if cardType == "" {
		return ""
	}
	return ", card type " + cardType
}

// heldBy reads the user id and card type search attributes of the workflow
// with id wid ("" for what it does not have, or when it cannot be read).
func (c *Client) heldBy(ctx context.Context, wid string) (userID, cardType string) {
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, wid, "")
	if err != nil {
		return "", ""
	}
	fields := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	read := func(name string) string {
		var v string
		if p, ok := fields[name]; ok {
			_ = converter.GetDefaultDataConverter().FromPayload(p, &v)
		}
		return v
	}
	return read(requestcard.UserIDSearchAttribute.GetName()), read(requestcard.CardTypeSearchAttribute.GetName())
}
