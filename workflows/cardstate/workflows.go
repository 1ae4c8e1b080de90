package cardstate

import (
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/workflows/lane"
)

// Each workflow type's one change point, read first.
const (
	deactivateChangeID = "deactivate-card"
	reactivateChangeID = "reactivate-card"
	lockChangeID       = "lock-card"
)

const currentVersion workflow.Version = 1

// DeactivateCard moves an active card to inactive: the certificates are put
// on hold first, then the card is marked inactive. That order leaves, for
// the moment between the two steps (or a CA outage's retries, which happen
// before the card changes), a card still shown active whose certificates
// are already suspended: the safe side, since a card asked to stop working
// stops at once for every relying party, and the next step closes the gap.
// The other order would show inactive a card whose certificates still
// say good, so a lost card would look blocked while it is not. The holder
// gets no e-mail, as in the original.
func DeactivateCard(ctx workflow.Context, in Input) (lane.Status, error) {
	workflow.GetVersion(ctx, deactivateChangeID, currentVersion, currentVersion)
	return run(ctx, deactivate, in, func(o *operation, steps workflow.Context) (lane.Status, error) {
		o.status.Step = "putting the certificates on hold"
		certs := activities.ReleaseCertificatesInput{CardID: o.in.CardID, Serials: o.plan.Serials}
		if err := workflow.ExecuteActivity(lane.Steps(steps, "Hold certificates"), a.HoldAgain, certs).Get(steps, nil); err != nil {
			return o.end(err)
		}
		return o.transition(steps, "marking the card inactive")
	})
}

// ReactivateCard moves an inactive card back to active: the certificates
// are released first (CA, then state, as Activate card), and held again if
// the transition is refused after all (another card became active
// meanwhile). The holder is e-mailed.
func ReactivateCard(ctx workflow.Context, in Input) (lane.Status, error) {
	workflow.GetVersion(ctx, reactivateChangeID, currentVersion, currentVersion)
	return run(ctx, reactivate, in, func(o *operation, steps workflow.Context) (lane.Status, error) {
		o.status.Step = "releasing the certificates from hold"
		certs := activities.ReleaseCertificatesInput{CardID: o.in.CardID, Serials: o.plan.Serials}
		if err := workflow.ExecuteActivity(lane.Steps(steps, "Release certificates"), a.ReleaseCertificates, certs).Get(steps, nil); err != nil {
			return o.end(err)
		}
		status, err := o.transition(steps, "marking the card active")
		if err != nil {
			// The certificates follow the card, back on hold.
			o.status.Step = "holding the certificates again"
			if holdErr := workflow.ExecuteActivity(lane.Steps(steps, "Hold certificates again"), a.HoldAgain, certs).Get(steps, nil); holdErr != nil {
				return o.end(holdErr)
			}
			return o.end(err)
		}
		return status, nil
	})
}

// LockCard locks an active or inactive card for good: the certificates are
// revoked first (cessationOfOperation, or keyCompromise), then the card is
// marked locked, so it never shows locked while a certificate is still
// trusted; a CA that fails is retried until it answers. The holder is
// e-mailed.
func LockCard(ctx workflow.Context, in Input) (lane.Status, error) {
	workflow.GetVersion(ctx, lockChangeID, currentVersion, currentVersion)
	return run(ctx, lock, in, func(o *operation, steps workflow.Context) (lane.Status, error) {
		o.status.Step = "revoking the certificates"
		reason := ca.CessationOfOperation
		if o.in.Compromised {
			reason = ca.KeyCompromise
		}
		revoke := activities.RevokeCertificatesInput{CardID: o.in.CardID, Serials: o.plan.Serials, Reason: reason}
		if err := workflow.ExecuteActivity(lane.Steps(steps, "Revoke certificates"), a.RevokeCertificates, revoke).Get(steps, nil); err != nil {
			return o.end(err)
		}
		return o.transition(steps, "marking the card locked")
	})
}
