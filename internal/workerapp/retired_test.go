package workerapp_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// recordsVersion returns a stand-in for RequestCard that records version v
// of the request-card change point, as a release that ran v did, then waits
// (open) until the test ends.
func recordsVersion(v workflow.Version) func(workflow.Context) error {
	return func(ctx workflow.Context) error {
		workflow.GetVersion(ctx, "request-card", v, v)
		return workflow.Await(ctx, func() bool { return false })
	}
}

// TestWarnsOfOpenExecutionsOfRetiredVersions runs the start-up check against
// a dev server holding three open RequestCard executions: one that recorded
// version 1 (retired), one that has not run its first workflow task (no
// version recorded), and one that recorded version 2 (current). The check
// must count the first two, not the third, and say so in one warning.
func TestWarnsOfOpenExecutionsOfRetiredVersions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The package's own dev server: the check counts every open execution
	// on it, and no other test here starts any.
	c, err := client.Dial(client.Options{HostPort: testkit.DevServer(t), Logger: logging.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// Two task queues: one with a worker running the stand-ins, one that
	// nobody polls (its execution never records a version).
	run := func(taskQueue string, v workflow.Version) string {
		t.Helper()
		w := worker.New(c, taskQueue, worker.Options{})
		w.RegisterWorkflowWithOptions(recordsVersion(v), workflow.RegisterOptions{Name: requestcard.WorkflowType})
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
		return start(ctx, t, c, taskQueue)
	}
	retired := run("retired-"+uuid.NewString(), 1)
	current := run("current-"+uuid.NewString(), 2)
	unstarted := start(ctx, t, c, "unpolled-"+uuid.NewString())

	// Visibility is eventually consistent: wait until the current execution
	// is listed with its version, and the check counts the other two.
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		listed, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s' AND TemporalChangeVersion = 'request-card-2'", current),
		})
		if err != nil {
			t.Fatal(err)
		}
		found, err := workerapp.FindRetiredVersions(ctx, c)
		if err != nil {
			t.Fatalf("query %q: %v", requestcard.RetiredVersionsQuery, err)
		}
		if listed.GetCount() != 1 || found.Count != 2 {
			return false, fmt.Sprintf("current execution listed %d times, check found %+v; want 1 and a count of 2", listed.GetCount(), found)
		}
		if found.ExampleWorkflowID != retired && found.ExampleWorkflowID != unstarted {
			t.Fatalf("example %q is neither of the retired executions %s, %s", found.ExampleWorkflowID, retired, unstarted)
		}
		return true, ""
	})

	core, logs := observer.New(zapcore.DebugLevel)
	workerapp.WarnRetiredVersions(ctx, c, zap.New(core), 5*time.Second)
	warnings := logs.FilterLevelExact(zapcore.WarnLevel).All()
	if len(warnings) != 1 || logs.Len() != 1 {
		t.Fatalf("want exactly one line, a warning; got %v", logs.All())
	}
	fields := warnings[0].ContextMap()
	if fields["count"] != int64(2) || (fields["exampleWorkflowId"] != retired && fields["exampleWorkflowId"] != unstarted) {
		t.Fatalf("warning fields %v", fields)
	}
}

// TestRetiredVersionsCheckNeverBlocksStartUp: with no server answering, the
// check gives up within its timeout and notes it at info level.
func TestRetiredVersionsCheckNeverBlocksStartUp(t *testing.T) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: logging.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	core, logs := observer.New(zapcore.DebugLevel)
	began := time.Now()
	workerapp.WarnRetiredVersions(context.Background(), c, zap.New(core), time.Second)
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("the check took %s with a 1s timeout", took)
	}
	if logs.Len() != 1 || logs.All()[0].Level != zapcore.InfoLevel {
		t.Fatalf("want one info line; got %v", logs.All())
	}
}

func start(ctx context.Context, t *testing.T, c client.Client, taskQueue string) string {
	t.Helper()
	id := requestcard.WorkflowID(uuid.NewString())
	if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, requestcard.WorkflowType); err != nil {
		t.Fatal(err)
	}
	return id
}
