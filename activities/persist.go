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

// PersistCardInput is everything the first write of a card needs. At comes from
// the workflow so that a retry writes the same time.
type PersistCardInput struct {
	CardID            string      `json:"cardId"`
	WorkflowID        string      `json:"workflowId"`
	UserID            string      `json:"userId"`
	CardType          string      `json:"cardType"`
	CommonName        string      `json:"commonName"`
	UPN               string      `json:"upn"`
	State             cards.State `json:"state"`
	RequestedBy       string      `json:"requestedBy"`
	ApprovalsRequired int         `json:"approvalsRequired"`
	At                time.Time   `json:"at"`
	// Notify, when set, queues the e-mails of this event (requested) in the
	// same transaction as the card: the worker's dispatcher sends them, so
	// no Temporal activity is spent on them and a stopped worker loses none.
	Notify *NotifyInput `json:"notify,omitempty"`
	// OpenApproval, when set, opens the card's approval (the approvals row
	// the Inbox lists) in the same statement as the card: Request card's
	// approval process then writes no row of its own (its
	// RowWrittenByCaller option). CardID, RequestedBy, HolderID and
	// CardType are the card's; At defaults to the card's.
	OpenApproval *OpenApprovalInput `json:"openApproval,omitempty"`
}

// PersistCardResult is the card as stored.
type PersistCardResult struct {
	State cards.State `json:"state"`
	// Created is false when the card was already there (a retry or a second
	// delivery), in which case nothing was written.
	Created bool `json:"created"`
}

// PersistCard writes the card and its first audit event in one transaction,
// with in.Notify queued in the notification outbox (event requested unless
// it says otherwise) when e-mail is on. Running it twice writes (and queues)
// once.
func (a *Activities) PersistCard(ctx context.Context, in PersistCardInput) (PersistCardResult, error) {
	notify, err := a.outboxEvent(in.Notify, in.CardID, NotifyRequested, nil)
	if err != nil {
		return PersistCardResult{}, err
	}
	var opening *store.Approval
	if o := in.OpenApproval; o != nil {
		opening = &store.Approval{Operation: o.Operation, RunID: o.RunID, ApprovalsRequired: o.ApprovalsRequired,
			ApproverRole: o.ApproverRole, ExpiresAt: o.ExpiresAt, CreatedAt: o.At}
	}
	stored, created, err := a.Store.InsertCardOpening(ctx, store.Card{
		ID: in.CardID, UserID: in.UserID, CardType: in.CardType, CommonName: in.CommonName, UPN: in.UPN,
		State: in.State, RequestedBy: in.RequestedBy, WorkflowID: in.WorkflowID, ApprovalsRequired: in.ApprovalsRequired,
	}, in.At, notify, opening)
	var open *store.ErrOpenRequestExists
	switch {
	case errors.As(err, &open):
		return PersistCardResult{}, temporal.NewNonRetryableApplicationError(
			"user "+in.UserID+" already has an open "+in.CardType+" card request: "+open.OpenCardID+" (approve, reject or cancel it first)",
			cards.ErrDuplicateOpenRequest, nil, open.OpenCardID)
	case errors.Is(err, store.ErrUserMissing):
		return PersistCardResult{}, temporal.NewNonRetryableApplicationError("user "+in.UserID+" left the user directory", cards.ErrUserNotFound, nil)
	case errors.Is(err, store.ErrCardIDTaken):
		return PersistCardResult{}, temporal.NewNonRetryableApplicationError("card id "+in.CardID+" is already used by another request", cards.ErrDuplicateOpenRequest, nil, in.CardID)
	case err != nil:
		return PersistCardResult{}, err
	}
	if created {
		a.queued(notify)
		if stored.State == cards.StateApproved {
			a.recorder().CardDecided(stored.State, 0)
		} else {
			a.recorder().CardPersisted(stored.State)
		}
		activity.GetLogger(ctx).Info("Card persisted", "cardId", in.CardID, "userId", in.UserID, "state", stored.State, "cardType", in.CardType)
	}
	return PersistCardResult{State: stored.State, Created: created}, nil
}
