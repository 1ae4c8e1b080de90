package activities

import (
	"context"
	"errors"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cards"
)

// errNotBuilt marks an activity whose body is still being written.
var errNotBuilt = errors.New("not built yet")

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

// BeginIssue checks the operator and the card's state, allocates the card
// number (once per card), bumps the production generation (once per run),
// and seals a PIN and PUK if the card has none. Refusals: InvalidState,
// NotAllowed, UseCaseDisabled, CardNotFound.
func (a *Activities) BeginIssue(ctx context.Context, in BeginIssueInput) (Production, error) {
	return Production{}, errNotBuilt
}

// HoldCertificatesInput records a job's certificates and puts them on hold.
type HoldCertificatesInput struct {
	CardID       string           `json:"cardId"`
	Generation   int              `json:"generation"`
	Certificates []ca.Certificate `json:"certificates"`
}

// HoldCertificates records the certificates and holds each at the CA, then
// checks OCSP says hold. Idempotent.
func (a *Activities) HoldCertificates(ctx context.Context, in HoldCertificatesInput) error {
	return errNotBuilt
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
}

// CompleteIssue moves the card to issued with its valid_until, records the
// chip UID and queues the holder's "issued" e-mail, in one statement.
func (a *Activities) CompleteIssue(ctx context.Context, in CompleteIssueInput) (cards.State, error) {
	return "", errNotBuilt
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

// FailProduction revokes whatever the job may have had issued (serials
// derived from card, usage and generation; not found is fine) and moves
// the card to failed with the reason in the audit trail.
func (a *Activities) FailProduction(ctx context.Context, in FailProductionInput) (cards.State, error) {
	return "", errNotBuilt
}

// CancelProductionInput ends a failed card's production for good.
type CancelProductionInput struct {
	CardID   string    `json:"cardId"`
	Operator string    `json:"operator"`
	Comment  string    `json:"comment"`
	At       time.Time `json:"at"`
}

// CancelProduction marks a failed card's production cancelled (it stays
// failed, now final), with its audit row. Refusal: InvalidState.
func (a *Activities) CancelProduction(ctx context.Context, in CancelProductionInput) (cards.State, error) {
	return "", errNotBuilt
}

// ActivateInput activates an issued card.
type ActivateInput struct {
	CardID   string    `json:"cardId"`
	Operator string    `json:"operator"`
	At       time.Time `json:"at"`
}

// CheckActivate refuses before any CA call: InvalidState (not issued),
// NotAllowed (the operator), AnotherActiveCard (multipleActive: false).
// It returns the serials to release.
func (a *Activities) CheckActivate(ctx context.Context, in ActivateInput) ([]string, error) {
	return nil, errNotBuilt
}

// ReleaseCertificatesInput takes a card's certificates off hold.
type ReleaseCertificatesInput struct {
	CardID  string   `json:"cardId"`
	Serials []string `json:"serials"`
}

// ReleaseCertificates releases each certificate and records it good.
func (a *Activities) ReleaseCertificates(ctx context.Context, in ReleaseCertificatesInput) error {
	return errNotBuilt
}

// HoldAgain puts released certificates back on hold when the activation's
// transition was refused after the release (a race with another
// activation): the certificates follow the card's state.
func (a *Activities) HoldAgain(ctx context.Context, in ReleaseCertificatesInput) error {
	return errNotBuilt
}

// Activate moves the card issued → active (guarded, with the
// multipleActive rule in the same statement) and queues the holder's
// "activated" e-mail. Refusals: InvalidState, AnotherActiveCard.
func (a *Activities) Activate(ctx context.Context, in ActivateInput) (cards.State, error) {
	return "", errNotBuilt
}
