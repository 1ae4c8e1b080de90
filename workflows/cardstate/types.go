package cardstate

import (
	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/workflows/approval"
)

// The registered workflow types.
const (
	DeactivateType = "DeactivateCard"
	ReactivateType = "ReactivateCard"
	LockType       = "LockCard"
)

// Input is what an operator (or, with selfService, the card's holder) asks.
type Input struct {
	CardID   string `json:"cardId"`
	Operator string `json:"operator"`
	// Comment goes to the audit trail; Lock card requires one.
	Comment string `json:"comment,omitempty"`
	// Compromised (Lock) revokes the certificates with keyCompromise
	// instead of cessationOfOperation.
	Compromised bool `json:"compromised,omitempty"`
}

// a names activities through their registered methods; never called.
var a *activities.Activities

// kind is what differs between the three operations.
type kind struct {
	workflowType string
	// name is the activities' and the audit trail's (deactivate, ...).
	name string
	// operation is the shared approval process's (deactivation, ...).
	operation string
	// preemptible: Lock card may end it while it waits for approval.
	preemptible bool
}

var (
	deactivate = kind{workflowType: DeactivateType, name: activities.KindDeactivate, operation: approval.OperationDeactivation, preemptible: true}
	reactivate = kind{workflowType: ReactivateType, name: activities.KindReactivate, operation: approval.OperationReactivation, preemptible: true}
	lock       = kind{workflowType: LockType, name: activities.KindLock, operation: approval.OperationLock}
)
