package stationcmd_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap/zaptest"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/ca/catest"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/station"
	"github.com/cardflow/cardflow/internal/stationcmd"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
)

// produceWorkflow runs one job on a station's task queue with the options
// IssueCard uses: one attempt (a physical print is not retried), a
// heartbeat timeout for a crash part-way.
func produceWorkflow(ctx workflow.Context, queue string, job station.Job) (station.Result, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              queue,
		ScheduleToStartTimeout: time.Minute,
		StartToCloseTimeout:    time.Minute,
		HeartbeatTimeout:       10 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var res station.Result
	err := workflow.ExecuteActivity(ctx, station.ProduceCardActivity, job).Get(ctx, &res)
	return res, err
}

// gate is a ca.Issuer that holds each Issue until the test opens it, so
// that the test sees a job in progress.
type gate struct {
	ca.Issuer
	open chan struct{}
}

func (g *gate) Issue(ctx context.Context, r ca.IssueRequest) (ca.Certificate, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ca.Certificate{}, ctx.Err()
	}
	return g.Issuer.Issue(ctx, r)
}

// The station, on the dev server with encrypted payloads, produces a card
// a workflow asks for, shows its step in the heartbeat details while it
// works, fails a fail-next job once with the printer's error type, and
// its job (holder's name included) is encrypted in the history.
func TestStationProducesThroughTemporal(t *testing.T) {
	addr := testkit.DevServer(t)
	keyFile := filepath.Join(t.TempDir(), "codec-keys")
	secret := make([]byte, codec.KeySize)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte("k1 "+base64.StdEncoding.EncodeToString(secret)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	settings := temporalconn.Settings{Address: addr, CodecKeys: keyFile, Logger: logging.Discard}

	// The station, as the command runs it.
	id := testkit.TaskQueue(t)
	output := t.TempDir()
	issuer := &gate{Issuer: catest.New(t), open: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	ready, stopped := make(chan struct{}), make(chan error, 1)
	go func() {
		stopped <- stationcmd.Serve(ctx, stationcmd.Config{
			ID: id, Output: output, Issuer: issuer, Temporal: settings,
			Logger: zaptest.NewLogger(t), OnReady: func() { close(ready) },
		})
	}()
	select {
	case <-ready:
	case err := <-stopped:
		t.Fatalf("station did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("station stopped with %v", err)
		}
	})

	// The worker side: a client with the same key file, and a workflow.
	opts, err := temporalconn.Options(settings)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	queue := testkit.TaskQueue(t)
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(produceWorkflow, workflow.RegisterOptions{Name: "ProduceCardTest"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	produce := func(job station.Job) (client.WorkflowRun, error) {
		return c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "produce-" + id + "-" + job.JobID, TaskQueue: queue}, "ProduceCardTest", station.TaskQueue(id), job)
	}

	// A job in progress shows its step.
	job := jobFor(t, "card-1", 1)
	run, err := produce(job)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		d, err := c.DescribeWorkflowExecution(context.Background(), run.GetID(), run.GetRunID())
		if err != nil {
			return false, err.Error()
		}
		if len(d.PendingActivities) == 0 || d.PendingActivities[0].HeartbeatDetails == nil {
			return false, "no heartbeat yet"
		}
		var step string
		if err := opts.DataConverter.FromPayloads(d.PendingActivities[0].HeartbeatDetails, &step); err != nil {
			return false, err.Error()
		}
		return step == "certifying authentication", "step " + step
	})
	close(issuer.open)
	var res station.Result
	if err := run.Get(context.Background(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Station != id || res.Dir != filepath.Join(output, job.CardID) || len(res.Certificates) != 2 {
		t.Errorf("result %+v", res)
	}
	for _, name := range append(res.Files, station.DoneName) {
		if _, err := os.Stat(filepath.Join(res.Dir, name)); err != nil {
			t.Error(err)
		}
	}

	// The job's input is encrypted in the history: the holder's name is not
	// there in clear.
	plain, err := client.Dial(client.Options{HostPort: addr, Logger: logging.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	events := plain.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	scheduled := false
	for events.HasNext() {
		e, err := events.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled = true
			for _, p := range a.GetInput().GetPayloads() {
				if string(p.GetMetadata()[codec.MetadataEncoding]) != codec.EncodingName || bytes.Contains(p.GetData(), []byte(job.HolderName)) {
					t.Errorf("job payload not encrypted: %s", p.GetMetadata()[codec.MetadataEncoding])
				}
			}
		}
	}
	if !scheduled {
		t.Error("no ActivityTaskScheduled event in the history")
	}

	// fail-next fails the next job once, with its type, in one attempt.
	if err := station.FailNext(output, station.ErrRibbonOut, "ribbon 3 is empty"); err != nil {
		t.Fatal(err)
	}
	run, err = produce(jobFor(t, "card-2", 1))
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(context.Background(), nil)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != station.ErrRibbonOut {
		t.Fatalf("job after fail-next: %v, want a %s application error", err, station.ErrRibbonOut)
	}

	// Jobs one after another: the station's time per job, Temporal included.
	const n = 5
	start := time.Now()
	for i := range n {
		run, err := produce(jobFor(t, "card-timed", i+1))
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Get(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d jobs one after another: %v per job (workflow start to result, 2 certificates each)", n, time.Since(start)/n)
}

// jobFor is a valid job for generation gen of card id.
func jobFor(t *testing.T, cardID string, gen int) station.Job {
	t.Helper()
	number, err := cardnumber.Format(cardnumber.DefaultPrefix, 4711, cardnumber.DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	return station.Job{
		JobID: fmt.Sprintf("%s/%d", cardID, gen), CardID: cardID, Generation: gen,
		HolderName: "Carol Cole", UPN: "carol@example.com", CardType: "standard", Number: number,
		ValidUntil: time.Date(2029, 11, 30, 0, 0, 0, 0, time.UTC),
		ProducedAt: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC),
		Usages:     []ca.Usage{ca.Authentication, ca.Signing},
	}
}
