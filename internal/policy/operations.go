package policy

import "time"

// OperationOptions is a card type's block for one operation on an issued
// card (deactivation, reactivation, lock): today its optional approval.
type OperationOptions struct {
	Approval Approval `yaml:"approval"`
}

// The operations with an approval block of their own, as the policy file
// and the shared approval process name them.
const (
	OperationDeactivation = "deactivation"
	OperationReactivation = "reactivation"
	OperationLock         = "lock"
)

// ResolvedApproval is an operation's approval in force for one card type,
// with every default applied. Its JSON is that of the shared approval
// process's Policy (workflows/approval), which the workflow builds from it;
// an activity returns it, so the history records the settings the
// operation ran under.
type ResolvedApproval struct {
	Required     bool          `json:"required"`
	Approvers    int           `json:"approvers"`
	ApproverRole string        `json:"approverRole"`
	Timeout      time.Duration `json:"timeout"`
	RemindBefore time.Duration `json:"remindBefore"`
}

// ResolveOperationApproval returns the approval of operation
// (deactivation, reactivation, lock, or request for the card type's own
// approval block) for cardType (empty: the default card type). Without
// required the rest is zero: nothing to wait for. A reminder not before the
// timeout is dropped, as for Request card.
func (p *Policy) ResolveOperationApproval(cardType, operation string) (ResolvedApproval, error) {
	if cardType == "" {
		cardType = p.DefaultCardType
	}
	ct, ok := p.CardTypes[cardType]
	if !ok {
		return ResolvedApproval{}, &ErrUnknownCardType{CardType: cardType, Known: p.CardTypeNames()}
	}
	var a Approval
	switch operation {
	case OperationDeactivation:
		a = ct.Deactivation.Approval
	case OperationReactivation:
		a = ct.Reactivation.Approval
	case OperationLock:
		a = ct.Lock.Approval
	default:
		a = ct.Approval
	}
	if !a.Required {
		return ResolvedApproval{}, nil
	}
	r := ResolvedApproval{Required: true, Approvers: a.Approvers, ApproverRole: a.ApproverRole, Timeout: time.Duration(a.Timeout)}
	if remind := time.Duration(a.RemindBefore); remind < r.Timeout {
		r.RemindBefore = remind
	}
	return r, nil
}
