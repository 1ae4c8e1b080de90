package policy

import (
	"fmt"
	"strings"
	"time"
)

// Resolved is the policy in force for one request. The workflow gets it from an
// activity, so the history records exactly the options the request ran under,
// even if the administrator edits the file while the request waits for approval.
type Resolved struct {
	CardType           string        `json:"cardType"`
	ApprovalRequired   bool          `json:"approvalRequired"`
	ApproversRequired  int           `json:"approversRequired"`
	ApprovalTimeout    time.Duration `json:"approvalTimeout"`
	CommonNameTemplate string        `json:"commonNameTemplate"`
	UPNTemplate        string        `json:"upnTemplate"`
	// RequesterRole and SelfService say who may request (checked once, at
	// request time); ApproverRole says who may decide (checked per decision).
	RequesterRole string `json:"requesterRole,omitempty"`
	SelfService   bool   `json:"selfService,omitempty"`
	ApproverRole  string `json:"approverRole,omitempty"`
	// RemindBefore is how long before ApprovalTimeout undecided approvers are
	// reminded; zero means no reminder.
	RemindBefore time.Duration `json:"remindBefore,omitempty"`
	// Notify is set by the worker when e-mail notifications are configured,
	// so that the workflow schedules no notification work when they are off.
	Notify bool `json:"notify,omitempty"`
	// RetryFor is how long infrastructure errors (PostgreSQL unreachable,
	// ...) are retried before a request gives up; set by the worker.
	RetryFor time.Duration `json:"retryFor,omitempty"`
	// RequireEncryption is set by the worker from CARDS_CODEC_REQUIRE: a
	// decision signal that arrived unencrypted is then ignored. Recorded with
	// the policy, so that replay follows the setting the request started
	// with, not the replaying worker's.
	RequireEncryption bool `json:"requireEncryption,omitempty"`
}

// ErrUnknownCardType is returned by Resolve for a card type the policy lacks.
type ErrUnknownCardType struct {
	CardType string
	Known    []string
}

func (e *ErrUnknownCardType) Error() string {
	return fmt.Sprintf("card type %q is not configured in the policy (known: %s)", e.CardType, strings.Join(e.Known, ", "))
}

// Resolve returns the options in force for cardType; an empty cardType means the
// policy's default card type.
func (p *Policy) Resolve(cardType string) (Resolved, error) {
	if cardType == "" {
		cardType = p.DefaultCardType
	}
	ct, ok := p.CardTypes[cardType]
	if !ok {
		return Resolved{}, &ErrUnknownCardType{CardType: cardType, Known: p.CardTypeNames()}
	}
	r := Resolved{
		CardType:           cardType,
		ApprovalRequired:   ct.Approval.Required,
		CommonNameTemplate: ct.Mapping.CommonName,
		UPNTemplate:        ct.Mapping.UPN,
		RequesterRole:      p.RequesterRole,
		SelfService:        p.SelfService,
		ApproverRole:       ct.Approval.ApproverRole,
	}
	if r.ApprovalRequired {
		r.ApproversRequired = ct.Approval.Approvers
		r.ApprovalTimeout = time.Duration(ct.Approval.Timeout)
		if remind := time.Duration(ct.Approval.RemindBefore); remind < r.ApprovalTimeout {
			r.RemindBefore = remind
		}
	}
	return r, nil
}
