package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// TransitionCardInput moves a card from requested to a final state.
type TransitionCardInput struct {
	CardID    string           `json:"cardId"`
	To        cards.State      `json:"to"`
	Actor     string           `json:"actor"`
	Comment   string           `json:"comment"`
	At        time.Time        `json:"at"`
	Approvals []cards.Approval `json:"approvals,omitempty"`
	// Notify, when set, queues the e-mails of the decision in the same
	// transaction as the transition (see PersistCardInput.Notify).
	Notify *NotifyInput `json:"notify,omitempty"`
	// CloseApproval, when set, closes the approval the card's workflow run
	// opened (PersistCardInput.OpenApproval) with its outcome, in the same
	// statement as the decision; At is ignored (the decision's time).
	CloseApproval *CloseApprovalInput `json:"closeApproval,omitempty"`
	// Vote, when set, is the vote that decided the approval: its audit row
	// is written with the decision, before it, instead of by a RecordVote
	// of its own (Request card from version 4).
	Vote *RecordVoteInput `json:"vote,omitempty"`
}

// TransitionCard applies a decision: a conditional update from requested plus
// its audit event, in one transaction, with in.Notify queued in the
// notification outbox (event decided, with this decision, unless it says
// otherwise) when e-mail is on. A retry after a lost answer finds the card
// already moved and succeeds without writing (or queuing) again.
func (a *Activities) TransitionCard(ctx context.Context, in TransitionCardInput) (cards.State, error) {
	if !in.To.Final() {
		return "", temporal.NewNonRetryableApplicationError("transition target "+string(in.To)+" is not a final state", cards.ErrInvalidDecision, nil)
	}
	notify, err := a.outboxEvent(in.Notify, in.CardID, NotifyDecided,
		&cards.Decision{To: in.To, Actor: in.Actor, Comment: in.Comment, At: in.At})
	if err != nil {
		return "", err
	}
	t := store.Transition{
		CardID: in.CardID, To: in.To, Actor: in.Actor, Comment: in.Comment, At: in.At, Approvals: in.Approvals, Notify: notify,
	}
	if cl := in.CloseApproval; cl != nil {
		t.CloseApproval = &store.ApprovalClose{WorkflowID: cl.WorkflowID, RunID: cl.RunID, State: cl.State}
	}
	if v := in.Vote; v != nil {
		t.Vote = &store.Vote{WorkflowID: v.WorkflowID, RunID: v.RunID, CardID: in.CardID, Kind: v.Kind,
			Actor: v.Actor, Comment: v.Comment, At: v.At, Token: v.Token}
	}
	c, changed, err := a.Store.TransitionCard(ctx, t)
	var final *store.ErrAlreadyFinal
	switch {
	case errors.As(err, &final):
		return final.State, temporal.NewNonRetryableApplicationError("card "+in.CardID+" is already "+string(final.State), cards.ErrAlreadyDecided, nil, final.State)
	case errors.Is(err, store.ErrNoRows):
		return "", temporal.NewNonRetryableApplicationError("card "+in.CardID+" does not exist", cards.ErrCardNotFound, nil)
	case err != nil:
		return "", err
	}
	if changed {
		a.queued(notify)
		a.recorder().CardDecided(c.State, in.At.Sub(c.CreatedAt))
		activity.GetLogger(ctx).Info("Card decided", "cardId", in.CardID, "userId", c.UserID, "state", c.State, "actor", in.Actor)
	}
	return c.State, nil
}
