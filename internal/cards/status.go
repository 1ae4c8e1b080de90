package cards

import "time"

// Status is the status document: what the `status` query returns, what the
// workflow returns as its result, and what the starter prints with --json.
type Status struct {
	ID                string     `json:"id"`
	WorkflowID        string     `json:"workflowId"`
	UserID            string     `json:"userId"`
	CardType          string     `json:"cardType"`
	CommonName        string     `json:"commonName"`
	UPN               string     `json:"upn"`
	State             State      `json:"state"`
	RequestedBy       string     `json:"requestedBy"`
	ApprovalsRequired int        `json:"approvalsRequired"`
	Approvals         []Approval `json:"approvals"`
	// Postponed are the approvers' latest postponements (the shared
	// approval process): their comment, and when.
	Postponed []Approval `json:"postponed,omitempty"`
	Ignored   []Ignored  `json:"ignored"`
	// IgnoredDropped counts ignored signals no longer listed in Ignored,
	// which keeps only the latest ones: a client that sends junk signals
	// over and over never makes the status large.
	IgnoredDropped int `json:"ignoredDropped,omitempty"`
	// ExpiresAt is when an unanswered request is aborted; absent when no
	// approval step applies.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Decision is the transition that made the card final, if it is.
	Decision *Decision `json:"decision,omitempty"`
	// Waiting says what the request waits for when an infrastructure
	// failure (PostgreSQL unreachable, ...) is being retried; when the
	// request waits for nothing, what the operation open on the card's
	// lane waits for (Operation.Waiting), so that one field answers "what
	// is this card waiting for".
	Waiting string `json:"waiting,omitempty"`
	// Notifications are the e-mails sent (or not) for this card.
	Notifications []Notification `json:"notifications,omitempty"`

	// CardNumber, ValidUntil and Certificates are the produced card's
	// (LIFECYCLE.md "Starter additions"); absent before production.
	CardNumber   string        `json:"cardNumber,omitempty"`
	ValidUntil   *time.Time    `json:"validUntil,omitempty"`
	Certificates []Certificate `json:"certificates,omitempty"`
	// Operation is the operation open on the card's lane, if any.
	Operation *Operation `json:"operation,omitempty"`
	// Approval is the approval open on the card, if any, of whatever
	// operation waits for it (a request, a deactivation, ...), as
	// PostgreSQL holds it (LIFECYCLE.md "Starter additions").
	Approval *OpenApproval `json:"approval,omitempty"`
	// FailureReason is why a failed card's last production failed (its
	// audit trail's latest fail row).
	FailureReason string `json:"failureReason,omitempty"`
}

// Certificate is one of a card's certificates as the status shows it.
type Certificate struct {
	Usage  string `json:"usage"`
	Serial string `json:"serial"`
	// Status is hold, good or revoked.
	Status string `json:"status"`
}

// Operation is an operation open on a card (IssueCard, ActivateCard, ...)
// and what it does now.
type Operation struct {
	Type    string `json:"type"`
	Step    string `json:"step"`
	Station string `json:"station,omitempty"`
	// Waiting says, while a step's activity is retried, which one and
	// why ("Revoke certificates, attempt 5 failed: ... connection
	// refused; retrying in 16s"), so that a slow step and an outage (the
	// CA down) are told apart.
	Waiting string `json:"waiting,omitempty"`
}

// OpenApproval is an approval that waits, as the status document shows
// it: the shape of the approval process's own status (operation,
// approvalsRequired, approvals, postponed, expiresAt), with who may decide
// it and since when. Approvals and Postponed are the votes so far; an
// approver's latest postponement only.
type OpenApproval struct {
	Operation         string     `json:"operation"`
	WorkflowID        string     `json:"workflowId"`
	ApprovalsRequired int        `json:"approvalsRequired"`
	Approvals         []Approval `json:"approvals"`
	Postponed         []Approval `json:"postponed,omitempty"`
	ApproverRole      string     `json:"approverRole"`
	RequestedBy       string     `json:"requestedBy"`
	OpenedAt          time.Time  `json:"openedAt"`
	ExpiresAt         *time.Time `json:"expiresAt,omitempty"`
}

// Notification is one e-mail for one card event and recipient.
type Notification struct {
	Event     string    `json:"event"`
	Recipient string    `json:"recipient"`
	At        time.Time `json:"at"`
	// Outcome is "sent", "failed: <reason>" (permanent, not retried) or
	// "skipped: <reason>" (for example a recipient without an address).
	Outcome string `json:"outcome"`
}

// Approval is one approver's consent.
type Approval struct {
	Actor   string    `json:"actor"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// Ignored records a signal that changed nothing, and why, so that an approver
// who signalled twice or too late can find out from the status.
type Ignored struct {
	Signal string `json:"signal"`
	Actor  string `json:"actor"`
	Reason string `json:"reason"`
}

// Decision is the final transition of a card.
type Decision struct {
	To      State     `json:"to"`
	Actor   string    `json:"actor"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}
