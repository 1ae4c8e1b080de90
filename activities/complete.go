package activities

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// HoldCertificates puts each of the job's certificates on hold at the CA,
// checks that OCSP says hold, and records them (status hold) for the
// card's production generation. Idempotent: a hold repeats harmlessly and
// the record is an upsert. A CA that refuses for good is a non-retryable
// CertificateRefused.
func (a *Activities) HoldCertificates(ctx context.Context, in HoldCertificatesInput) error {
	authority, err := a.authority(in.CardID)
	if err != nil {
		return err
	}
	rows := make([]store.CertificateRow, 0, len(in.Certificates))
	for _, cert := range in.Certificates {
		if err := authority.Hold(ctx, cert.Serial); err != nil {
			return caFailure(err, "hold the %s certificate %s of card %s", cert.Usage, cert.Serial, in.CardID)
		}
		status, err := authority.Status(ctx, cert.Serial)
		if err != nil {
			return caFailure(err, "check the %s certificate %s of card %s", cert.Usage, cert.Serial, in.CardID)
		}
		if status != ca.StatusHold {
			// The responder may lag behind the hold; a retry asks again.
			return temporal.NewApplicationError("the CA's OCSP says "+string(status)+" for the "+string(cert.Usage)+
				" certificate "+cert.Serial+" of card "+in.CardID+" after it was put on hold", "CertificateNotHeld")
		}
		rows = append(rows, store.CertificateRow{Usage: cert.Usage, Serial: cert.Serial, Status: ca.StatusHold,
			Reason: "certificateHold", NotAfter: cert.NotAfter, PEM: cert.PEM})
	}
	return a.Store.RecordCertificates(ctx, in.CardID, in.Generation, rows)
}

// CompleteIssue moves the card to issued with its valid_until, records the
// chip UID and the station and queues the holder's "issued" e-mail, in one
// statement; a retry (same card and generation) writes nothing twice.
// Refusals: InvalidState, CardNotFound.
func (a *Activities) CompleteIssue(ctx context.Context, in CompleteIssueInput) (cards.State, error) {
	card, err := a.cardOf(ctx, in.CardID)
	if err != nil {
		return "", err
	}
	settings, err := a.production(card.CardType)
	if err != nil {
		return "", err
	}
	validUntil := in.ValidUntil
	if validUntil.IsZero() {
		// The date printed on the card counts from the production's start.
		started, err := a.Store.ProductionStartedAt(ctx, in.CardID)
		if errors.Is(err, store.ErrNoRows) {
			started = in.At
		} else if err != nil {
			return "", err
		}
		validUntil = started.Add(settings.Validity)
	}
	validUntil = validUntil.UTC()
	notify, err := a.holderEvent(card, NotifyIssued, in.Operator, cards.StateIssued, in.At, &validUntil, settings.PINDelivery)
	if err != nil {
		return "", err
	}
	c, changed, err := a.Store.Move(ctx, store.Move{
		CardID: in.CardID, From: producedFrom, To: cards.StateIssued, Event: EventIssue, Actor: in.Operator,
		Comment: "produced at station " + in.Station + ", card number " + card.CardNumber, At: in.At,
		Token:      "issue/" + in.CardID + "/" + strconv.Itoa(in.Generation),
		ValidUntil: &validUntil, ChipUID: in.UID, Station: in.Station, Notify: notify,
	})
	if err != nil {
		return "", moveRefusal(in.CardID, card, err, "marking it issued needs approved, registered or failed (a production under way)")
	}
	if changed {
		a.queued(notify)
		activity.GetLogger(ctx).Info("Card issued", "cardId", c.ID, "userId", c.UserID, "cardNumber", c.CardNumber,
			"validUntil", validUntil, "station", in.Station)
	}
	return c.State, nil
}

// holderEvent is the holder's e-mail of a card event (issued, activated)
// for the outbox, or nil when e-mail is off. It never holds a PIN: only how
// the PIN travels.
func (a *Activities) holderEvent(c store.Card, event, actor string, to cards.State, at time.Time, validUntil *time.Time, pinDelivery string) (*store.OutboxEvent, error) {
	return a.outboxEvent(&NotifyInput{
		Event: event, CardID: c.ID, UserID: c.UserID, CardType: c.CardType, CommonName: c.CommonName, UPN: c.UPN,
		RequestedBy: c.RequestedBy, CardNumber: c.CardNumber, ValidUntil: validUntil, PINDelivery: pinDelivery,
		Decision: &cards.Decision{To: to, Actor: actor, At: at},
	}, c.ID, event, nil)
}
