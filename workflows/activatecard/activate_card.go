// Package activatecard is the ActivateCard workflow: Activate card on the
// card's lane. The certificates are released before the card is marked
// active (OCSP never says good for a card that is not active for long),
// and held again if the transition is refused after all.
package activatecard

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/lane"
)

// WorkflowType is ActivateCard's registered name.
const WorkflowType = "ActivateCard"

// Input is what an operator asks for.
type Input struct {
	CardID   string `json:"cardId"`
	Operator string `json:"operator"`
}

// a names activities through their registered methods; never called.
var a *activities.Activities

const versionChangeID = "activate-card"

const currentVersion workflow.Version = 1

// ActivateCard moves an issued card to active.
func ActivateCard(ctx workflow.Context, in Input) (lane.Status, error) {
	workflow.GetVersion(ctx, versionChangeID, currentVersion, currentVersion)
	status := lane.Status{Type: WorkflowType, CardID: in.CardID, Step: "checking the card"}
	if err := lane.SetupStatus(ctx, &status); err != nil {
		return status, err
	}
	end := func(err error) (lane.Status, error) {
		status.Done = true
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			status.Step = "refused: " + app.Message()
			return status, app
		}
		status.Step = "failed: " + err.Error()
		return status, err
	}
	act := activities.ActivateInput{CardID: in.CardID, Operator: in.Operator, At: workflow.Now(ctx)}

	var serials []string
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Check activation"), a.CheckActivate, act).Get(ctx, &serials); err != nil {
		return end(err)
	}
	status.Step = "releasing the certificates from hold"
	release := activities.ReleaseCertificatesInput{CardID: in.CardID, Serials: serials}
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Release certificates"), a.ReleaseCertificates, release).Get(ctx, nil); err != nil {
		return end(err)
	}
	status.Step = "marking the card active"
	var state cards.State
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Mark active"), a.Activate, act).Get(ctx, &state); err != nil {
		// Refused after the release (another card became active in the
		// meantime): the certificates follow the card, back on hold.
		status.Step = "holding the certificates again"
		if holdErr := workflow.ExecuteActivity(lane.Steps(ctx, "Hold certificates again"), a.HoldAgain, release).Get(ctx, nil); holdErr != nil {
			return end(holdErr)
		}
		return end(err)
	}
	status.State = state
	status.Step = "active"
	status.Done = true
	return status, nil
}
