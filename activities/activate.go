package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/activity"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// activateNeeds is what Activate card needs, for InvalidState.
const activateNeeds = "Activate card needs issued"

// CheckActivate refuses before any CA call: NotAllowed (the operator),
// CardNotFound, InvalidState (not issued), AnotherActiveCard
// (multipleActive: false and the user has an active card of the type). It
// returns the serials to release: the current generation's certificates
// not revoked.
func (a *Activities) CheckActivate(ctx context.Context, in ActivateInput) ([]string, error) {
	if err := a.checkOperator(ctx, in.Operator, "activate cards"); err != nil {
		return nil, err
	}
	card, err := a.cardOf(ctx, in.CardID)
	if err != nil {
		return nil, err
	}
	if card.State != cards.StateIssued {
		return nil, invalidState(in.CardID, &store.ErrInvalidState{State: card.State, CancelledProduction: card.ProductionCancelled}, activateNeeds)
	}
	settings, err := a.production(card.CardType)
	if err != nil {
		return nil, err
	}
	if !settings.MultipleActive {
		active, err := a.Store.ActiveCardOf(ctx, card.UserID, card.CardType, card.ID)
		if err != nil {
			return nil, err
		}
		if active != "" {
			return nil, anotherActiveCard(card.ID, card.UserID, card.CardType, active)
		}
	}
	certs, err := a.Store.Certificates(ctx, in.CardID)
	if err != nil {
		return nil, err
	}
	serials := []string{}
	for _, c := range certs {
		if c.Status != ca.StatusRevoked {
			serials = append(serials, c.Serial)
		}
	}
	return serials, nil
}

// ReleaseCertificates releases each certificate at the CA (OCSP good) and
// records it good. Releasing a released certificate succeeds; one revoked
// for good is a non-retryable CertificateRefused.
func (a *Activities) ReleaseCertificates(ctx context.Context, in ReleaseCertificatesInput) error {
	return a.setCertificates(ctx, in, ca.StatusGood)
}

// HoldAgain puts released certificates back on hold when the activation's
// transition was refused after the release (a race with another
// activation): the certificates follow the card's state.
func (a *Activities) HoldAgain(ctx context.Context, in ReleaseCertificatesInput) error {
	return a.setCertificates(ctx, in, ca.StatusHold)
}

// setCertificates releases (good) or holds (hold) each serial at the CA,
// then records the status.
func (a *Activities) setCertificates(ctx context.Context, in ReleaseCertificatesInput, status ca.Status) error {
	authority, err := a.authority(in.CardID)
	if err != nil {
		return err
	}
	for _, serial := range in.Serials {
		reason := ""
		if status == ca.StatusHold {
			reason = "certificateHold"
			if err := authority.Hold(ctx, serial); err != nil {
				return caFailure(err, "put certificate %s of card %s back on hold", serial, in.CardID)
			}
		} else if err := authority.Release(ctx, serial); err != nil {
			return caFailure(err, "release certificate %s of card %s", serial, in.CardID)
		}
		if err := a.Store.SetCertificateStatus(ctx, serial, status, reason); err != nil && !errors.Is(err, store.ErrNoRows) {
			return err
		}
	}
	return nil
}

// Activate moves the card issued → active (guarded, with the
// multipleActive rule in the same statement unless the card type allows
// several) and queues the holder's "activated" e-mail. A retry writes
// nothing twice. Refusals: InvalidState, AnotherActiveCard, CardNotFound.
func (a *Activities) Activate(ctx context.Context, in ActivateInput) (cards.State, error) {
	card, err := a.cardOf(ctx, in.CardID)
	if err != nil {
		return "", err
	}
	settings, err := a.production(card.CardType)
	if err != nil {
		return "", err
	}
	notify, err := a.holderEvent(card, NotifyActivated, in.Operator, cards.StateActive, in.At, card.ValidUntil, "")
	if err != nil {
		return "", err
	}
	c, changed, err := a.Store.Move(ctx, store.Move{
		CardID: in.CardID, From: []cards.State{cards.StateIssued}, To: cards.StateActive, Event: EventActivate,
		Actor: in.Operator, Comment: "certificates released", At: in.At, Token: "activate/" + in.CardID,
		NoOtherActive: !settings.MultipleActive, Notify: notify,
	})
	if err != nil {
		return "", moveRefusal(in.CardID, card, err, activateNeeds)
	}
	if changed {
		a.queued(notify)
		activity.GetLogger(ctx).Info("Card activated", "cardId", c.ID, "userId", c.UserID, "operator", in.Operator)
	}
	return c.State, nil
}
