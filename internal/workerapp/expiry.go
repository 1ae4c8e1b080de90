package workerapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/expiry"
	"github.com/cardflow/cardflow/workflows/expirysweep"
)

// ExpirySchedule is the Temporal Schedule that starts the expiry sweep.
type ExpirySchedule struct {
	// Cron is CARDS_EXPIRY_SCHEDULE (UTC); empty means
	// expiry.DefaultSchedule, daily at 02:00.
	Cron string
	// ID is the Schedule's id; empty means expiry.ScheduleID
	// (card-expiry-sweep). Tests that share a Temporal server give each
	// worker its own.
	ID string
}

// ExpiryCatchupWindow is how late a missed sweep may still start after an
// outage of the server: a day, so that a long outage ends with one sweep,
// never a year of them (the server's default window).
const ExpiryCatchupWindow = 24 * time.Hour

func (s ExpirySchedule) cron() string {
	if s.Cron == "" {
		return expiry.DefaultSchedule
	}
	return s.Cron
}

func (s ExpirySchedule) id() string {
	if s.ID == "" {
		return expiry.ScheduleID
	}
	return s.ID
}

// check refuses an invalid CARDS_EXPIRY_SCHEDULE before anything is dialled.
func (s ExpirySchedule) check() error { return expiry.CheckSchedule(s.cron()) }

// schedule is the Schedule's spec, action and policies.
func (s ExpirySchedule) schedule(taskQueue string) (client.ScheduleSpec, *client.ScheduleWorkflowAction, *client.SchedulePolicies) {
	spec := client.ScheduleSpec{CronExpressions: []string{s.cron()}}
	action := &client.ScheduleWorkflowAction{
		ID:        s.id(),
		Workflow:  expirysweep.WorkflowType,
		Args:      []any{expirysweep.Input{}},
		TaskQueue: taskQueue,
	}
	policies := &client.SchedulePolicies{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, CatchupWindow: ExpiryCatchupWindow}
	return spec, action, policies
}

// EnsureExpirySchedule creates the expiry sweep's Schedule, or updates it
// to this worker's spec, action and policies when it exists. Workers
// starting at once race for it: the one that loses the create (already
// exists) updates instead, so they leave one Schedule and no error. A
// Schedule deleted between the two is created again.
func EnsureExpirySchedule(ctx context.Context, c client.Client, s ExpirySchedule, taskQueue string, log *zap.Logger) error {
	spec, action, policies := s.schedule(taskQueue)
	sc := c.ScheduleClient()
	var err error
	for try := 0; try < 5; try++ {
		_, err = sc.Create(ctx, client.ScheduleOptions{
			ID: s.id(), Spec: spec, Action: action,
			Overlap: policies.Overlap, CatchupWindow: policies.CatchupWindow,
			Note: "cardflow: the daily expiry sweep (reminders before valid_until, then expired); the worker keeps it as CARDS_EXPIRY_SCHEDULE says",
		})
		if err == nil {
			log.Info("Expiry sweep scheduled", zap.String("scheduleId", s.id()), zap.String("cron", s.cron()), zap.String("taskQueue", taskQueue))
			return nil
		}
		if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) && !isAlreadyExists(err) {
			break
		}
		err = sc.GetHandle(ctx, s.id()).Update(ctx, client.ScheduleUpdateOptions{
			DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
				sched := in.Description.Schedule
				sched.Spec = &spec
				sched.Action = action
				sched.Policy = policies
				return &client.ScheduleUpdate{Schedule: &sched}, nil
			},
		})
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			continue // deleted meanwhile: create it again
		}
		if err == nil {
			log.Info("Expiry sweep schedule updated", zap.String("scheduleId", s.id()), zap.String("cron", s.cron()), zap.String("taskQueue", taskQueue))
		}
		break
	}
	if err != nil {
		return fmt.Errorf("create or update the expiry sweep's Schedule %s (CARDS_EXPIRY_SCHEDULE %q): %w", s.id(), s.cron(), err)
	}
	return nil
}

func isAlreadyExists(err error) bool {
	var exists *serviceerror.AlreadyExists
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &exists) || errors.As(err, &started)
}
