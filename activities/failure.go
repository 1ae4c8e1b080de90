package activities

import (
	"context"
	"errors"
	"strconv"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
)

// FailProduction revokes whatever the job may have had issued (serials
// derived from card, usage and generation; not found is fine), marks the
// recorded certificates revoked, and moves the card to failed with the
// reason in the audit trail. A retry revokes and writes nothing twice.
// Refusals: InvalidState, CardNotFound.
func (a *Activities) FailProduction(ctx context.Context, in FailProductionInput) (cards.State, error) {
	authority, err := a.authority(in.CardID)
	if err != nil {
		return "", err
	}
	log := activity.GetLogger(ctx)
	for _, usage := range in.Usages {
		serial := ca.SerialText(in.CardID, usage, in.Generation)
		err := authority.Revoke(ctx, serial, ca.CessationOfOperation)
		switch {
		case errors.Is(err, ca.ErrNotFound):
			continue // never issued: nothing to revoke or record
		case ca.IsPermanent(err):
			// The CA will not revoke it (already revoked for good, ...):
			// the card must still become failed; the log says which.
			log.Warn("The CA refused to revoke a half-issued certificate", "cardId", in.CardID, "usage", usage, "serial", serial, "error", err)
		case err != nil:
			return "", caFailure(err, "revoke the %s certificate %s of card %s", usage, serial, in.CardID)
		}
		if err := a.Store.SetCertificateStatus(ctx, serial, ca.StatusRevoked, string(ca.CessationOfOperation)); err != nil && !errors.Is(err, store.ErrNoRows) {
			return "", err
		}
	}
	reason := auditComment(in.Reason)
	if reason == "" {
		reason = "production failed"
	}
	c, changed, err := a.Store.Move(ctx, store.Move{
		CardID: in.CardID, From: producedFrom, To: cards.StateFailed, Event: EventFail, Actor: cards.SystemActor,
		Comment: reason, At: in.At, Token: "fail/" + in.CardID + "/" + strconv.Itoa(in.Generation),
	})
	if err != nil {
		return "", moveRefusal(in.CardID, c, err, "a failed production needs approved, registered or failed")
	}
	if changed {
		log.Info("Card production failed", "cardId", c.ID, "generation", in.Generation, "reason", reason)
	}
	return c.State, nil
}

// CancelProduction marks a failed card's production cancelled (it stays
// failed, now final), with its audit row. The operator must be an active
// user holding requesterRole. Refusals: InvalidState, NotAllowed,
// InvalidInput, CardNotFound.
func (a *Activities) CancelProduction(ctx context.Context, in CancelProductionInput) (cards.State, error) {
	if err := limits.Comment("comment", in.Comment); err != nil {
		return "", temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
	}
	if err := a.checkOperator(ctx, in.Operator, "cancel a card's production"); err != nil {
		return "", err
	}
	comment := in.Comment
	if comment == "" {
		comment = "production cancelled"
	}
	c, changed, err := a.Store.Move(ctx, store.Move{
		CardID: in.CardID, From: []cards.State{cards.StateFailed}, To: cards.StateFailed, Event: EventCancelProduction,
		Actor: in.Operator, Comment: comment, At: in.At, Token: "cancel-production/" + in.CardID, CancelProduction: true,
	})
	if err != nil {
		return "", moveRefusal(in.CardID, c, err, "Cancel production needs failed")
	}
	if changed {
		activity.GetLogger(ctx).Info("Card production cancelled", "cardId", c.ID, "operator", in.Operator)
	}
	return c.State, nil
}
