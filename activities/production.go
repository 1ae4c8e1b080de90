package activities

// The inputs and outputs of the Issue card and Activate card activities;
// their bodies are in issue.go, complete.go, failure.go and activate.go.

import (
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
)

// BeginIssueInput starts (or repeats) the production of one card.
type BeginIssueInput struct {
	CardID string `json:"cardId"`
	// UserID and CardType, with an empty or unknown CardID, create the card
	// in registered first (Issue card for a user, requestCard disabled).
	UserID   string `json:"userId,omitempty"`
	CardType string `json:"cardType,omitempty"`
	Operator string `json:"operator"`
	// Station is the operator's choice; empty means the policy's default.
	Station string `json:"station,omitempty"`
	// Repeat allows the failed state (Repeat production).
	Repeat bool `json:"repeat,omitempty"`
	// RunID makes the generation bump happen once per workflow run.
	RunID string    `json:"runId"`
	At    time.Time `json:"at"`
}

// Production is what the workflow needs to run the job: never a secret.
type Production struct {
	CardID         string        `json:"cardId"`
	UserID         string        `json:"userId"`
	CardType       string        `json:"cardType"`
	CommonName     string        `json:"commonName"`
	UPN            string        `json:"upn"`
	Number         string        `json:"cardNumber"`
	Generation     int           `json:"generation"`
	ValidUntil     time.Time     `json:"validUntil"`
	Usages         []ca.Usage    `json:"usages"`
	Station        string        `json:"station"`
	StationTimeout time.Duration `json:"stationTimeout"`
	PINDelivery    string        `json:"pinDelivery"`
	// From is the card's state when production began (approved,
	// registered or failed).
	From cards.State `json:"from"`
}

// HoldCertificatesInput records a job's certificates and puts them on hold.
type HoldCertificatesInput struct {
	CardID       string           `json:"cardId"`
	Generation   int              `json:"generation"`
	Certificates []ca.Certificate `json:"certificates"`
}

// CompleteIssueInput moves a produced card to issued.
type CompleteIssueInput struct {
	CardID     string      `json:"cardId"`
	Generation int         `json:"generation"`
	Station    string      `json:"station"`
	UID        string      `json:"uid"`
	Operator   string      `json:"operator"`
	From       cards.State `json:"from"`
	At         time.Time   `json:"at"`
	// ValidUntil is Production.ValidUntil, the date printed on the card;
	// zero means the card type's validity from the production's start.
	ValidUntil time.Time `json:"validUntil,omitempty"`
}

// FailProductionInput records a failed job.
type FailProductionInput struct {
	CardID     string      `json:"cardId"`
	Generation int         `json:"generation"`
	Usages     []ca.Usage  `json:"usages"`
	Reason     string      `json:"reason"`
	From       cards.State `json:"from"`
	At         time.Time   `json:"at"`
}

// CancelProductionInput ends a failed card's production for good.
type CancelProductionInput struct {
	CardID   string    `json:"cardId"`
	Operator string    `json:"operator"`
	Comment  string    `json:"comment"`
	At       time.Time `json:"at"`
}

// ActivateInput activates an issued card.
type ActivateInput struct {
	CardID   string    `json:"cardId"`
	Operator string    `json:"operator"`
	At       time.Time `json:"at"`
}

// ReleaseCertificatesInput takes a card's certificates off hold.
type ReleaseCertificatesInput struct {
	CardID  string   `json:"cardId"`
	Serials []string `json:"serials"`
}
