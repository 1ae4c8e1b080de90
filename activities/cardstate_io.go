package activities

// The inputs and outputs of Deactivate, Reactivate and Lock card; their
// bodies are in cardstate.go.

import (
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

// The operations on an issued card that change its state after Activate,
// as OperationInput.Kind names them (and the audit trail's events).
const (
	KindDeactivate = "deactivate"
	KindReactivate = "reactivate"
	KindLock       = "lock"
)

// EventAbort is the audit trail's row of an operation that ended without
// its transition: its approval was rejected or timed out, or Lock card
// pre-empted it. The card's state is unchanged (from = to).
const EventAbort = "abort"

// OperationInput is what an operator (or the card's holder) asks of
// Deactivate, Reactivate or Lock card.
type OperationInput struct {
	// Kind is deactivate, reactivate or lock.
	Kind     string `json:"kind"`
	CardID   string `json:"cardId"`
	Operator string `json:"operator"`
	Comment  string `json:"comment,omitempty"`
	// Compromised revokes with keyCompromise instead of
	// cessationOfOperation (Lock).
	Compromised bool      `json:"compromised,omitempty"`
	At          time.Time `json:"at"`
}

// OperationPlan is what CheckOperation found: the card as the operation
// starts from it, the certificates to hold, release or revoke, and the
// operation's approval in force.
type OperationPlan struct {
	CardID   string      `json:"cardId"`
	UserID   string      `json:"userId"`
	CardType string      `json:"cardType"`
	From     cards.State `json:"from"`
	// Serials are the current generation's certificates not revoked.
	Serials []string `json:"serials"`
	// Approval is the card type's deactivation, reactivation or lock
	// approval; Required false means none.
	Approval policy.ResolvedApproval `json:"approval"`
}

// RevokeCertificatesInput revokes a card's certificates for good.
type RevokeCertificatesInput struct {
	CardID  string    `json:"cardId"`
	Serials []string  `json:"serials"`
	Reason  ca.Reason `json:"reason"`
}

// TransitionInput is the state change of Deactivate, Reactivate or Lock,
// after the CA's step. RunID makes its token one per operation: a card may
// be deactivated and reactivated many times.
type TransitionInput struct {
	OperationInput
	RunID string `json:"runId"`
}

// AbortInput records an operation that ended without its transition.
type AbortInput struct {
	Kind   string      `json:"kind"`
	CardID string      `json:"cardId"`
	From   cards.State `json:"from"`
	// Actor is who ended it (the approver who rejected, the operator whose
	// Lock pre-empted it, system for a timeout).
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	RunID  string    `json:"runId"`
	At     time.Time `json:"at"`
}
