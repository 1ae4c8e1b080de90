package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
)

// cardOperation is one of Deactivate, Reactivate and Lock: the states it
// starts from, where it goes, and its words for refusals.
type cardOperation struct {
	from     []cards.State
	to       cards.State
	approval string // the policy's block: deactivation, reactivation, lock
	needs    string // for InvalidState
	doing    string // for NotAllowed
	// selfService lets the card's own holder do it with selfService: true.
	selfService bool
	notify      string // the holder's e-mail, if any
}

var cardOperations = map[string]cardOperation{
	KindDeactivate: {
		from: []cards.State{cards.StateActive}, to: cards.StateInactive, approval: policy.OperationDeactivation,
		needs: "Deactivate card needs active", doing: "deactivate cards", selfService: true,
	},
	KindReactivate: {
		from: []cards.State{cards.StateInactive}, to: cards.StateActive, approval: policy.OperationReactivation,
		needs: "Reactivate card needs inactive", doing: "reactivate cards", notify: NotifyReactivated,
	},
	KindLock: {
		from: []cards.State{cards.StateActive, cards.StateInactive}, to: cards.StateLocked, approval: policy.OperationLock,
		needs: "Lock card needs active or inactive", doing: "lock cards", selfService: true, notify: NotifyLocked,
	},
}

// Notification events of the holder for Reactivate and Lock.
const (
	NotifyReactivated = cards.NotifyReactivated
	NotifyLocked      = cards.NotifyLocked
)

func operationOf(kind string) (cardOperation, error) {
	op, ok := cardOperations[kind]
	if !ok {
		return op, temporal.NewNonRetryableApplicationError(fmt.Sprintf("unknown card operation %q", kind), cards.ErrInvalidInput, nil)
	}
	return op, nil
}

// CheckOperation refuses Deactivate, Reactivate or Lock card before
// anything is written or any CA is called: InvalidInput (a comment too
// long, or none for Lock), CardNotFound, NotAllowed (naming the role, or
// the person when only the holder could), InvalidState (naming the card's
// state), and for Reactivate UserNotActive and AnotherActiveCard (naming
// the other card). It returns the plan: the certificates to act on and the
// approval in force.
func (a *Activities) CheckOperation(ctx context.Context, in OperationInput) (OperationPlan, error) {
	op, err := operationOf(in.Kind)
	if err != nil {
		return OperationPlan{}, err
	}
	if err := limits.Comment("comment", in.Comment); err != nil {
		return OperationPlan{}, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
	}
	if in.Kind == KindLock && strings.TrimSpace(in.Comment) == "" {
		return OperationPlan{}, temporal.NewNonRetryableApplicationError(
			"Lock card needs a comment (why the card is locked), for the audit trail", cards.ErrInvalidInput, nil)
	}
	if _, err := uuid.Parse(in.CardID); err != nil {
		return OperationPlan{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("card id %q is not a UUID", in.CardID), cards.ErrInvalidInput, nil)
	}
	if err := limits.Identifier("operator", in.Operator); err != nil {
		return OperationPlan{}, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
	}
	card, err := a.cardOf(ctx, in.CardID)
	if err != nil {
		return OperationPlan{}, err
	}
	if err := a.checkActor(ctx, op, card, in.Operator); err != nil {
		return OperationPlan{}, err
	}
	if card.ProductionCancelled || !slices.Contains(op.from, card.State) {
		return OperationPlan{}, invalidState(in.CardID, &store.ErrInvalidState{State: card.State, CancelledProduction: card.ProductionCancelled}, op.needs)
	}
	if in.Kind == KindReactivate {
		if err := a.checkReactivation(ctx, card); err != nil {
			return OperationPlan{}, err
		}
	}
	approval, err := a.Policy.ResolveOperationApproval(card.CardType, op.approval)
	var unknown *policy.ErrUnknownCardType
	if errors.As(err, &unknown) {
		return OperationPlan{}, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrUnknownCardType, nil, unknown.Known)
	} else if err != nil {
		return OperationPlan{}, err
	}
	certs, err := a.Store.Certificates(ctx, in.CardID)
	if err != nil {
		return OperationPlan{}, err
	}
	serials := []string{}
	for _, c := range certs {
		if c.Status != ca.StatusRevoked {
			serials = append(serials, c.Serial)
		}
	}
	return OperationPlan{CardID: card.ID, UserID: card.UserID, CardType: card.CardType, From: card.State, Serials: serials, Approval: approval}, nil
}

// checkActor is the "who" of the operations: an active user holding
// requesterRole; with selfService: true, also the card's own holder for
// Deactivate and Lock (a lost card must be blockable by its holder at any
// hour). The refusal names the role, or the person.
func (a *Activities) checkActor(ctx context.Context, op cardOperation, card store.Card, operator string) error {
	role := a.Policy.RequesterRole
	users, err := a.Store.Users(ctx, operator)
	if err != nil {
		return err
	}
	u, ok := users[operator]
	holder := op.selfService && a.Policy.SelfService && operator == card.UserID
	switch {
	case !ok:
		return notAllowed("operator %q is not a user of the directory: only active users holding role %q may %s", operator, role, op.doing)
	case !u.Active():
		return notAllowed("operator %q is %q: only active users may %s", operator, u.State, op.doing)
	case u.HasRole(role) || holder:
		return nil
	case op.selfService && a.Policy.SelfService:
		return notAllowed("operator %q does not hold role %q and is not the card's holder (%s): only they, or users holding role %q (requesterRole), may %s of others",
			operator, role, card.UserID, role, op.doing)
	}
	return notAllowed("operator %q does not hold role %q, which the policy (requesterRole) requires to %s", operator, role, op.doing)
}

// checkReactivation is Reactivate's own rules: the holder must be an
// active user, and the multipleActive rule holds.
func (a *Activities) checkReactivation(ctx context.Context, card store.Card) error {
	users, err := a.Store.Users(ctx, card.UserID)
	if err != nil {
		return err
	}
	if u, ok := users[card.UserID]; !ok || !u.Active() {
		state := "not in the user directory"
		if ok {
			state = fmt.Sprintf("%q", u.State)
		}
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"the holder of card %s, user %s, is %s: a card is reactivated only for an active user", card.ID, card.UserID, state),
			cards.ErrUserNotActive, nil, string(u.State))
	}
	settings, err := a.production(card.CardType)
	if err != nil {
		return err
	}
	if settings.MultipleActive {
		return nil
	}
	active, err := a.Store.ActiveCardOf(ctx, card.UserID, card.CardType, card.ID)
	if err != nil {
		return err
	}
	if active != "" {
		return anotherActiveCardFor(card.ID, card.UserID, card.CardType, active, "reactivating")
	}
	return nil
}

// anotherActiveCardFor is AnotherActiveCard for an activation or a
// reactivation.
func anotherActiveCardFor(cardID, userID, cardType, activeID, doing string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"user %s already has an active %s card, %s, and card type %s allows one (multipleActive: false): deactivate or lock %s before %s card %s",
		userID, cardType, activeID, cardType, activeID, doing, cardID), cards.ErrAnotherActiveCard, nil, activeID)
}

// RevokeCertificates revokes each certificate for good at the CA (repeats
// succeed; one the CA never had is skipped) and records it revoked with
// the reason. A CA that is down is retried, however long: Lock marks the
// card locked only after this returns.
func (a *Activities) RevokeCertificates(ctx context.Context, in RevokeCertificatesInput) error {
	authority, err := a.authority(in.CardID)
	if err != nil {
		return err
	}
	reason := in.Reason
	if reason == "" {
		reason = ca.CessationOfOperation
	}
	for _, serial := range in.Serials {
		err := authority.Revoke(ctx, serial, reason)
		switch {
		case errors.Is(err, ca.ErrNotFound):
			activity.GetLogger(ctx).Warn("The CA has no certificate to revoke", "cardId", in.CardID, "serial", serial)
		case err != nil:
			return caFailure(err, "revoke certificate %s of card %s", serial, in.CardID)
		}
		if err := a.Store.SetCertificateStatus(ctx, serial, ca.StatusRevoked, string(reason)); err != nil && !errors.Is(err, store.ErrNoRows) {
			return err
		}
	}
	return nil
}

// Transition moves the card of a Deactivate, Reactivate or Lock card
// (guarded by the states the operation starts from; for Reactivate with
// the multipleActive rule in the same statement) and queues the holder's
// e-mail (reactivated, locked) with it: reactivated keyed by the run
// (notifyEvent), so each reactivation has its own. A retry writes nothing
// twice.
// Refusals: InvalidState, AnotherActiveCard, CardNotFound.
func (a *Activities) Transition(ctx context.Context, in TransitionInput) (cards.State, error) {
	op, err := operationOf(in.Kind)
	if err != nil {
		return "", err
	}
	card, err := a.cardOf(ctx, in.CardID)
	if err != nil {
		return "", err
	}
	noOtherActive := false
	if in.Kind == KindReactivate {
		settings, err := a.production(card.CardType)
		if err != nil {
			return "", err
		}
		noOtherActive = !settings.MultipleActive
	}
	comment := in.Comment
	if comment == "" {
		comment = map[string]string{KindDeactivate: "certificates on hold", KindReactivate: "certificates released"}[in.Kind]
	}
	var notify *store.OutboxEvent
	if op.notify != "" {
		event := notifyEvent(op.notify, in.RunID)
		notify, err = a.outboxEvent(&NotifyInput{
			Event: event, CardID: card.ID, UserID: card.UserID, CardType: card.CardType, CommonName: card.CommonName, UPN: card.UPN,
			RequestedBy: card.RequestedBy, CardNumber: card.CardNumber, ValidUntil: card.ValidUntil,
			Decision: &cards.Decision{To: op.to, Actor: in.Operator, Comment: in.Comment, At: in.At},
		}, card.ID, event, nil)
		if err != nil {
			return "", err
		}
	}
	c, changed, err := a.Store.Move(ctx, store.Move{
		CardID: in.CardID, From: op.from, To: op.to, Event: in.Kind, Actor: in.Operator, Comment: auditComment(comment), At: in.At,
		Token: in.Kind + "/" + in.CardID + "/" + in.RunID, NoOtherActive: noOtherActive, Notify: notify,
	})
	if err != nil {
		var active *store.ErrAnotherActiveCard
		if errors.As(err, &active) {
			return "", anotherActiveCardFor(in.CardID, card.UserID, card.CardType, active.CardID, "reactivating")
		}
		return "", moveRefusal(in.CardID, card, err, op.needs)
	}
	if changed {
		a.queued(notify)
		activity.GetLogger(ctx).Info("Card "+string(op.to), "cardId", c.ID, "userId", c.UserID, "operation", in.Kind, "operator", in.Operator)
	}
	return c.State, nil
}

// notifyEvent is the event the holder's e-mail of an operation is queued
// and recorded under: for an event that can recur in a card's life
// (reactivated) the operation's run keys it, as it keys the audit row, so
// that each reactivation is mailed and a retried one is not mailed twice;
// locked happens once per card and keeps its plain name. An input without
// a run (every workflow passes one) keeps the plain name too.
func notifyEvent(kind, runID string) string {
	if runID == "" || !slices.Contains(cards.RepeatableEvents, kind) {
		return kind
	}
	return cards.OperationEvent(kind, runID)
}

// RecordAbort writes the audit row of an operation that ended without its
// transition (rejected, timed out, pre-empted by Lock card), the card's
// state unchanged. A card that left the state meanwhile needs no row: the
// operation could not have happened anyway. A retry writes nothing twice.
func (a *Activities) RecordAbort(ctx context.Context, in AbortInput) error {
	actor := in.Actor
	if actor == "" {
		actor = cards.SystemActor
	}
	_, changed, err := a.Store.Move(ctx, store.Move{
		CardID: in.CardID, From: []cards.State{in.From}, To: in.From, Event: EventAbort, Actor: actor,
		Comment: auditComment(in.Kind + " aborted: " + in.Reason), At: in.At, Token: "abort/" + in.CardID + "/" + in.RunID,
	})
	var invalid *store.ErrInvalidState
	switch {
	case errors.As(err, &invalid), errors.Is(err, store.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	if changed {
		activity.GetLogger(ctx).Info("Card operation aborted", "cardId", in.CardID, "operation", in.Kind, "reason", in.Reason)
	}
	return nil
}
