package activities

import (
	"context"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// PrepareRequestInput is a request as the operator made it.
type PrepareRequestInput struct {
	UserID      string `json:"userId"`
	CardType    string `json:"cardType,omitempty"`
	RequestedBy string `json:"requestedBy"`
	// Batch is a card of a Request multiple cards order: without the
	// policy's batchRequestApproval it gets no approval step.
	Batch bool `json:"batch,omitempty"`
}

// PreparedRequest is everything the workflow needs before it writes the
// card: the options in force and the card's data.
type PreparedRequest struct {
	Policy policy.Resolved `json:"policy"`
	Card   cards.CardData  `json:"card"`
}

// PrepareRequest resolves the policy, checks the user and the requester
// against the directory (one read) and maps the user to the card's data, in
// one local activity: the workflow records one marker and encodes one input
// and one result per request instead of three of each.
func (a *Activities) PrepareRequest(ctx context.Context, in PrepareRequestInput) (PreparedRequest, error) {
	resolved, err := a.ResolvePolicy(ctx, in.CardType)
	if err != nil {
		return PreparedRequest{}, err
	}
	if in.Batch && !a.Policy.BatchRequestApproval {
		resolved = withoutApproval(resolved)
	}
	user, err := a.checkRequest(ctx, in, resolved)
	if err != nil {
		return PreparedRequest{Policy: resolved}, err
	}
	data, err := a.mapUserToCard(user, resolved)
	if err != nil {
		return PreparedRequest{Policy: resolved}, err
	}
	return PreparedRequest{Policy: resolved, Card: data}, nil
}

// withoutApproval is r for a card of a Request multiple cards order when
// the policy's batchRequestApproval is false: approved when persisted, no
// approvers, timeout or reminder.
func withoutApproval(r policy.Resolved) policy.Resolved {
	r.ApprovalRequired = false
	r.ApproversRequired = 0
	r.ApprovalTimeout = 0
	r.RemindBefore = 0
	return r
}
