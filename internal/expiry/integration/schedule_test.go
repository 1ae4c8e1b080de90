package integration

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/workflows/expirysweep"
)

// Two workers starting at once leave exactly one Schedule and no error;
// a worker started later with another CARDS_EXPIRY_SCHEDULE updates it.
func TestTwoWorkersRaceForTheSchedule(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			testkit.Worker(t, w.config()) // fails the test if Run returns an error
		}()
	}
	wg.Wait()
	ctx := context.Background()
	desc, err := w.client.ScheduleClient().GetHandle(ctx, w.scheduleID).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	if !ok {
		t.Fatalf("action %T", desc.Schedule.Action)
	}
	if got := desc.Schedule.Spec.CronExpressions; len(got) != 1 || got[0] != "0 2 * * *" {
		// The server may turn the cron into calendar specs.
		if len(desc.Schedule.Spec.Calendars) == 0 {
			t.Fatalf("spec %+v, want 0 2 * * *", desc.Schedule.Spec)
		}
	}
	if action.Workflow != expirysweep.WorkflowType || action.TaskQueue != w.taskQueue {
		t.Fatalf("action %s on %s, want %s on %s", action.Workflow, action.TaskQueue, expirysweep.WorkflowType, w.taskQueue)
	}
	if p := desc.Schedule.Policy; p.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || p.CatchupWindow != 24*time.Hour {
		t.Fatalf("policy overlap %s catch-up %s, want skip and 24h", p.Overlap, p.CatchupWindow)
	}
	if n := w.schedulesNamed(ctx); n != 1 {
		t.Fatalf("%d schedules with id %s, want 1", n, w.scheduleID)
	}

	// A new expression for the next worker: the Schedule follows it.
	cfg := w.config()
	cfg.Expiry.Cron = "30 3 * * *"
	testkit.Worker(t, cfg)
	desc, err = w.client.ScheduleClient().GetHandle(ctx, w.scheduleID).Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := desc.Schedule.Spec
	updated := (len(spec.CronExpressions) == 1 && spec.CronExpressions[0] == "30 3 * * *") ||
		(len(spec.Calendars) == 1 && len(spec.Calendars[0].Hour) == 1 && spec.Calendars[0].Hour[0].Start == 3 && spec.Calendars[0].Minute[0].Start == 30)
	if !updated {
		t.Fatalf("spec after the update %+v, want 30 3 * * *", spec)
	}
	if n := w.schedulesNamed(ctx); n != 1 {
		t.Fatalf("%d schedules with id %s after the update, want 1", n, w.scheduleID)
	}
}

// schedulesNamed counts the namespace's schedules with the world's id, as
// the server lists them (its list is eventually consistent: wait for it).
func (w *world) schedulesNamed(ctx context.Context) int {
	w.t.Helper()
	n := 0
	testkit.Eventually(w.t, 10*time.Second, func() (bool, string) {
		it, err := w.client.ScheduleClient().List(ctx, client.ScheduleListOptions{})
		if err != nil {
			return false, err.Error()
		}
		n = 0
		for it.HasNext() {
			s, err := it.Next()
			if err != nil {
				return false, err.Error()
			}
			if s.ID == w.scheduleID {
				n++
			}
		}
		return n > 0, "the schedule is not listed yet"
	})
	return n
}

// An invalid CARDS_EXPIRY_SCHEDULE stops the worker at start, naming it.
func TestAnInvalidScheduleStopsTheWorker(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cfg := w.config()
	cfg.Expiry.Cron = "0 25 * * *"
	err := workerapp.Run(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "CARDS_EXPIRY_SCHEDULE") || !strings.Contains(err.Error(), "hour") {
		t.Fatalf("Run: %v, want a refusal naming CARDS_EXPIRY_SCHEDULE and the hour field", err)
	}
}
