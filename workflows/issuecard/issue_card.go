// Package issuecard is the IssueCard workflow: Issue card (single
// production) on the card's lane. It allocates the card's number and
// secrets, sends one job to a print station, puts the certificates the
// station had issued on hold, marks the card issued and delivers the PIN;
// a job that fails or finds no station makes the card failed, for the
// operator to repeat or cancel.
package issuecard

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/workflows/lane"
)

// a names activities through their registered methods; never called.
var a *activities.Activities

// versionChangeID is IssueCard's one change point, read first.
const versionChangeID = "issue-card"

const currentVersion workflow.Version = 1

// jobHeartbeat is how long a station may go silent mid-job before the job
// counts as crashed (the station heartbeats every step).
const jobHeartbeat = 10 * time.Second

// jobDuration bounds one job once a station has taken it.
const jobDuration = 10 * time.Minute

type issue struct {
	in     Input
	status lane.Status
}

// IssueCard produces one card (or repeats or cancels its production).
func IssueCard(ctx workflow.Context, in Input) (lane.Status, error) {
	workflow.GetVersion(ctx, versionChangeID, currentVersion, currentVersion)
	if in.Action == "" {
		in.Action = ActionIssue
	}
	w := &issue{in: in, status: lane.Status{Type: WorkflowType, CardID: in.CardID, Step: "starting", Station: in.Station}}
	if err := lane.SetupStatus(ctx, &w.status); err != nil {
		return w.status, err
	}
	if in.Action == ActionCancel {
		return w.cancel(ctx)
	}
	return w.produce(ctx)
}

func (w *issue) produce(ctx workflow.Context) (lane.Status, error) {
	w.status.Step = "checking the card"
	var p activities.Production
	err := workflow.ExecuteActivity(lane.Steps(ctx, "Begin production"), a.BeginIssue, activities.BeginIssueInput{
		CardID: w.in.CardID, UserID: w.in.UserID, CardType: w.in.CardType, Operator: w.in.Operator,
		Station: w.in.Station, Repeat: w.in.Action == ActionRepeat,
		RunID: workflow.GetInfo(ctx).WorkflowExecution.RunID, At: workflow.Now(ctx),
	}).Get(ctx, &p)
	if err != nil {
		return w.end(err)
	}
	w.status.CardID, w.status.Station = p.CardID, p.Station

	w.status.Step = "waiting for print station " + p.Station
	result, jobErr := w.runJob(ctx, p)
	if jobErr != nil {
		return w.fail(ctx, p, jobReason(p, jobErr))
	}

	w.status.Step = "putting the certificates on hold"
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Hold certificates"), a.HoldCertificates, activities.HoldCertificatesInput{
		CardID: p.CardID, Generation: p.Generation, Certificates: result.Certificates,
	}).Get(ctx, nil); err != nil {
		// A certificate the CA will not hold cannot go on a card.
		return w.fail(ctx, p, "the CA refused to hold a certificate: "+message(err))
	}

	w.status.Step = "marking the card issued"
	var state cards.State
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Mark issued"), a.CompleteIssue, activities.CompleteIssueInput{
		CardID: p.CardID, Generation: p.Generation, Station: p.Station, UID: result.UID, ValidUntil: p.ValidUntil,
		Operator: w.in.Operator, From: p.From, At: workflow.Now(ctx),
	}).Get(ctx, &state); err != nil {
		return w.end(err)
	}
	w.status.State = state

	w.status.Step = "delivering the PIN"
	var delivery string
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Deliver PIN"), a.DeliverPIN, activities.DeliverPINInput{
		CardID: p.CardID, Method: p.PINDelivery,
	}).Get(ctx, &delivery); err != nil {
		return w.end(err)
	}
	w.status.Delivery = delivery
	w.status.Step = "issued"
	w.status.Done = true
	return w.status, nil
}

// runJob sends the job to the station: one attempt (a physical print is
// never repeated automatically), a limit on how long the job may wait for
// the station to take it, and a heartbeat that notices a crash part-way.
func (w *issue) runJob(ctx workflow.Context, p activities.Production) (station.Result, error) {
	jobCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              station.TaskQueue(p.Station),
		ScheduleToStartTimeout: p.StationTimeout,
		StartToCloseTimeout:    jobDuration,
		HeartbeatTimeout:       jobHeartbeat,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:                "Print and encode at " + p.Station,
	})
	var result station.Result
	err := workflow.ExecuteActivity(jobCtx, station.ProduceCardActivity, station.Job{
		JobID:      fmt.Sprintf("%s/%d", p.CardID, p.Generation),
		CardID:     p.CardID,
		Generation: p.Generation,
		HolderName: p.CommonName,
		UPN:        p.UPN,
		CardType:   p.CardType,
		Number:     p.Number,
		ValidUntil: p.ValidUntil,
		ProducedAt: workflow.Now(ctx),
		Usages:     p.Usages,
	}).Get(ctx, &result)
	return result, err
}

// fail revokes what the job had issued and marks the card failed.
func (w *issue) fail(ctx workflow.Context, p activities.Production, reason string) (lane.Status, error) {
	w.status.Step = "recording the failed production"
	w.status.Reason = reason
	var state cards.State
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Record failed production"), a.FailProduction, activities.FailProductionInput{
		CardID: p.CardID, Generation: p.Generation, Usages: p.Usages, Reason: reason, From: p.From, At: workflow.Now(ctx),
	}).Get(ctx, &state); err != nil {
		return w.end(err)
	}
	w.status.State = state
	w.status.Step = "failed: repeat or cancel the production"
	w.status.Done = true
	return w.status, nil
}

func (w *issue) cancel(ctx workflow.Context) (lane.Status, error) {
	w.status.Step = "cancelling the production"
	var state cards.State
	if err := workflow.ExecuteActivity(lane.Steps(ctx, "Cancel production"), a.CancelProduction, activities.CancelProductionInput{
		CardID: w.in.CardID, Operator: w.in.Operator, Comment: w.in.Comment, At: workflow.Now(ctx),
	}).Get(ctx, &state); err != nil {
		return w.end(err)
	}
	w.status.State = state
	w.status.Step = "production cancelled"
	w.status.Done = true
	return w.status, nil
}

// end returns a refusal as the workflow's error: its application error
// type (InvalidState, NotAllowed, ...) is what the starter reports.
func (w *issue) end(err error) (lane.Status, error) {
	w.status.Step = "refused: " + message(err)
	w.status.Done = true
	return w.status, unwrapActivity(err)
}

// jobReason turns a failed job into the audit trail's reason, in words an
// operator can act on.
func jobReason(p activities.Production, err error) string {
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		switch timeout.TimeoutType() {
		case enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START:
			return fmt.Sprintf("print station %s did not take the job within %s: is it running (bin/station with CARDS_STATION_ID=%s)?", p.Station, p.StationTimeout, p.Station)
		case enumspb.TIMEOUT_TYPE_HEARTBEAT:
			return fmt.Sprintf("print station %s stopped answering part-way through the job", p.Station)
		default:
			return fmt.Sprintf("the job at print station %s took longer than %s", p.Station, jobDuration)
		}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return fmt.Sprintf("print station %s: %s: %s", p.Station, app.Type(), app.Message())
	}
	return fmt.Sprintf("print station %s: %s", p.Station, message(err))
}

func message(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

// unwrapActivity returns the application error under an activity error, so
// that the workflow fails with the refusal's own type.
func unwrapActivity(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app
	}
	return err
}
