package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
)

// Error types of the production and activation activities' failures that
// are not business refusals.
const (
	// ErrCAUnavailable: the worker has no CA (CARDS_CA_URL) to hold,
	// release or revoke certificates with.
	ErrCAUnavailable = "CAUnavailable"
	// ErrCertificateRefused: the CA refused a hold or release for good (a
	// certificate revoked for good cannot go back on hold or be released).
	ErrCertificateRefused = "CertificateRefused"
)

// The audit trail's names of the lifecycle transitions (card_events.event).
const (
	EventIssue            = "issue"
	EventFail             = "fail"
	EventActivate         = "activate"
	EventCancelProduction = cards.OperationCancel
)

// Notification events of the holder.
const (
	NotifyIssued    = cards.NotifyIssued
	NotifyActivated = cards.NotifyActivated
)

// The states each operation starts from.
var (
	issueFrom    = []cards.State{cards.StateApproved, cards.StateRegistered}
	producedFrom = []cards.State{cards.StateApproved, cards.StateRegistered, cards.StateFailed}
)

// checkOperator is the operator rule of Issue, Repeat, Cancel and
// Activate: an active user of the directory holding the policy's
// requesterRole. A refusal is a NotAllowed naming the role.
func (a *Activities) checkOperator(ctx context.Context, operator, doing string) error {
	if err := limits.Identifier("operator", operator); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
	}
	role := a.Policy.RequesterRole
	users, err := a.Store.Users(ctx, operator)
	if err != nil {
		return err
	}
	u, ok := users[operator]
	switch {
	case !ok:
		return notAllowed("operator %q is not a user of the directory: only active users holding role %q may %s", operator, role, doing)
	case !u.Active():
		return notAllowed("operator %q is %q: only active users may %s", operator, u.State, doing)
	case !u.HasRole(role):
		return notAllowed("operator %q does not hold role %q, which the policy (requesterRole) requires to %s", operator, role, doing)
	}
	return nil
}

// invalidState is the InvalidState refusal: the card's state (and whether
// its production was cancelled) and what the operation needs.
func invalidState(cardID string, e *store.ErrInvalidState, needs string) error {
	msg := fmt.Sprintf("card %s is %s; %s", cardID, e.State, needs)
	if e.CancelledProduction {
		msg = fmt.Sprintf("card %s is %s and its production was cancelled: it is final; %s", cardID, e.State, needs)
	}
	return temporal.NewNonRetryableApplicationError(msg, cards.ErrInvalidState, nil, e.State)
}

// anotherActiveCard is the AnotherActiveCard refusal, naming the active card.
func anotherActiveCard(cardID, userID, cardType, activeID string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"user %s already has an active %s card, %s, and card type %s allows one (multipleActive: false): deactivate or lock %s before activating card %s",
		userID, cardType, activeID, cardType, activeID, cardID), cards.ErrAnotherActiveCard, nil, activeID)
}

// cardNotFound is the CardNotFound refusal.
func cardNotFound(cardID string) error {
	return temporal.NewNonRetryableApplicationError("card "+cardID+" does not exist", cards.ErrCardNotFound, nil)
}

// cardOf reads the card an operation is about; a card that does not exist
// is the CardNotFound refusal.
func (a *Activities) cardOf(ctx context.Context, cardID string) (store.Card, error) {
	card, err := a.Store.Card(ctx, cardID)
	if errors.Is(err, store.ErrNoRows) {
		return store.Card{}, cardNotFound(cardID)
	}
	return card, err
}

// moveRefusal turns the store's refusals of a Move into the workflow's
// refusal types; other errors (infrastructure) stay retryable.
func moveRefusal(cardID string, c store.Card, err error, needs string) error {
	var invalid *store.ErrInvalidState
	var active *store.ErrAnotherActiveCard
	switch {
	case errors.As(err, &invalid):
		return invalidState(cardID, invalid, needs)
	case errors.As(err, &active):
		return anotherActiveCard(cardID, c.UserID, c.CardType, active.CardID)
	case errors.Is(err, store.ErrNoRows):
		return cardNotFound(cardID)
	case errors.Is(err, store.ErrChipUIDTaken):
		return temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
	}
	return err
}

// authority returns the CA, or a non-retryable refusal naming the setting.
func (a *Activities) authority(cardID string) (ca.Authority, error) {
	if a.CA == nil {
		return nil, temporal.NewNonRetryableApplicationError(
			"the worker has no CA to manage the certificates of card "+cardID+" with: set CARDS_CA_URL (and CARDS_CA_OCSP_URL) and restart the worker",
			ErrCAUnavailable, nil)
	}
	return a.CA, nil
}

// caFailure gives a CA error its retry behaviour: a permanent refusal is
// not retried, anything else (the CA down, a timeout) is.
func caFailure(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...) + ": " + err.Error()
	if ca.IsPermanent(err) {
		return temporal.NewNonRetryableApplicationError(msg, ErrCertificateRefused, err)
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// production resolves the card type's production settings; a card type
// the policy no longer has is refused without retry.
func (a *Activities) production(cardType string) (policy.ResolvedProduction, error) {
	p, err := a.Policy.ResolveProduction(cardType)
	var unknown *policy.ErrUnknownCardType
	if errors.As(err, &unknown) {
		return p, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrUnknownCardType, nil, unknown.Known)
	}
	return p, err
}

// auditComment keeps a reason within the comment limit of the audit trail,
// cutting it on a character boundary.
func auditComment(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "?")
	if utf8.RuneCountInString(s) <= limits.MaxComment {
		return s
	}
	r := []rune(s)
	return string(r[:limits.MaxComment-1]) + "…"
}
