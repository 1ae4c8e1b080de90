// Package cards holds the vocabulary of the Request card use case that the
// workflow, its activities and the starter share: card states, the status
// document, decisions, and the error types of business refusals.
package cards

import "slices"

// State is a card's state, written in lower case as the contract names it.
type State string

// The card states this use case uses. Pending and refused are not card
// states: the status reports pending before the card is persisted, and
// refused when a business rule ended the request before a card existed.
const (
	StatePending State = "pending"
	StateRefused State = "refused"
	// StateFailed is a request that ended before its card existed because
	// infrastructure (PostgreSQL, ...) stayed unreachable for the whole retry
	// window; nothing was written and requesting again is safe.
	StateFailed    State = "failed"
	StateRequested State = "requested"
	StateApproved  State = "approved"
	StateRejected  State = "rejected"
	StateAborted   State = "aborted"

	// The states after the request (LIFECYCLE.md "States and transitions").
	StateRegistered State = "registered"
	StateIssued     State = "issued"
	StateActive     State = "active"
	StateInactive   State = "inactive"
	StateLocked     State = "locked"
	StateExpired    State = "expired"
)

// CardStates are the eleven states a stored card can be in, in the order
// of its life (LIFECYCLE.md "States and transitions").
var CardStates = []State{
	StateRegistered, StateRequested, StateApproved, StateRejected, StateAborted,
	StateFailed, StateIssued, StateActive, StateInactive, StateLocked, StateExpired,
}

// Operation names: the workflow types on a card's lane (workflow id
// card-<card id>) and the event column of their audit rows.
const (
	OperationIssue    = "issue"
	OperationActivate = "activate"
	OperationRepeat   = "repeat"
	OperationCancel   = "cancel-production"
)

// LaneWorkflowID is the workflow id of every operation on a card: one open
// operation per card at a time.
func LaneWorkflowID(cardID string) string { return "card-" + cardID }

// Final reports whether a card in this state can never change again.
func (s State) Final() bool {
	return s == StateApproved || s == StateRejected || s == StateAborted
}

// Error types of business refusals. They end the workflow (or refuse an
// update) with a non-retryable application error of this type, and the
// starter maps each of them to exit code 3.
const (
	ErrUserNotFound         = "UserNotFound"
	ErrUserNotActive        = "UserNotActive"
	ErrUseCaseDisabled      = "UseCaseDisabled"
	ErrUnknownCardType      = "UnknownCardType"
	ErrDuplicateOpenRequest = "DuplicateOpenRequest"
	ErrNotFound             = "NotFound"
	ErrNotAllowed           = "NotAllowed"
	ErrAlreadyDecided       = "AlreadyDecided"
	ErrInvalidDecision      = "InvalidDecision"
	// ErrInvalidInput refuses a decision whose actor or comment breaks an
	// input limit (package limits): refused before anything is written, so
	// an oversized value never reaches the history or the database.
	ErrInvalidInput         = "InvalidInput"
	ErrCardNotFound         = "CardNotFound"
	ErrConcurrentTransition = "ConcurrentTransition"
	// ErrInvalidState refuses an operation the card's state does not
	// allow; the message names the state and what the operation needs.
	ErrInvalidState = "InvalidState"
	// ErrCardBusy refuses a second operation on a card, naming the open one.
	ErrCardBusy = "CardBusy"
	// ErrAnotherActiveCard refuses an activation that would give a user a
	// second active card of the type (multipleActive: false), naming it.
	ErrAnotherActiveCard = "AnotherActiveCard"
	// ErrProductionFailed ends an IssueCard whose station job failed: the
	// card is failed and the operator chooses Repeat or Cancel production.
	ErrProductionFailed = "ProductionFailed"
	// ErrInfrastructureUnavailable ends a request or refuses a decision whose
	// retries ran out: not a business refusal (exit code 1, not 3).
	ErrInfrastructureUnavailable = "InfrastructureUnavailable"
)

// BusinessErrorTypes are the refusal types that mean "the rules said no" rather
// than "something is broken".
var BusinessErrorTypes = []string{
	ErrUserNotFound, ErrUserNotActive, ErrUseCaseDisabled, ErrUnknownCardType,
	ErrDuplicateOpenRequest, ErrNotFound, ErrNotAllowed, ErrAlreadyDecided,
	ErrInvalidState, ErrCardBusy, ErrAnotherActiveCard, ErrCardNotFound,
}

// IsBusinessError reports whether errType is one of BusinessErrorTypes.
func IsBusinessError(errType string) bool {
	return slices.Contains(BusinessErrorTypes, errType)
}

// ActiveUserState is the only user state in which a card may be requested.
const ActiveUserState = "active"

// SystemActor is the actor recorded for transitions nobody asked for, such as
// an approval that timed out.
const SystemActor = "system"
