package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/expirysweep"
)

// A worker SIGKILLed in the middle of a sweep (pages of 200 over 3,000
// cards to expire): the next worker resumes the sweep where it stopped,
// every card is expired once with one audit row, and the sweep's result
// counts each once.
func TestASweepKilledMidPageResumesAndCountsRight(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const n = 3000
	now := time.Now()
	if _, err := w.st.DB.Exec(`INSERT INTO users (id, state, email) VALUES ('kill', 'active', 'kill@mail.example.com')`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, valid_until)
		SELECT gen_random_uuid(), 'kill', 'quick', 'Kill', 'kill@example.com', 'active', 'olivia', 'w', $1::timestamptz - g * interval '1 millisecond'
		FROM generate_series(1, $2) g`, now.Add(-time.Minute), n); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(testkit.WorkerBinary(t))
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+w.dbURL, "TEMPORAL_ADDRESS="+w.temporal, "TEMPORAL_NAMESPACE=default",
		"CARDS_TASK_QUEUE="+w.taskQueue, "CARDS_POLICY="+w.policyPath, "CARDS_METRICS_ADDRESS=",
		"CARDS_CODEC_KEYS=none", "CARDS_LOG_FORMAT=json")
	log := &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })

	ctx := context.Background()
	id := "sweep-killed-" + w.taskQueue
	run, err := w.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: w.taskQueue},
		expirysweep.WorkflowType, expirysweep.Input{PageSize: 200, PagesPerRun: 4})
	if err != nil {
		t.Fatal(err)
	}
	var before int
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		before = w.count(`SELECT count(*) FROM cards WHERE state = 'expired'`)
		return before > 0, fmt.Sprintf("no card expired yet; worker log:\n%s", log.String())
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	mid := w.count(`SELECT count(*) FROM cards WHERE state = 'expired'`)
	t.Logf("worker killed with %d of %d cards expired (%d when first seen)", mid, n, before)
	if mid == n {
		t.Fatalf("the sweep ended before the kill; make it longer")
	}

	w.worker()
	var res expirysweep.Result
	waitCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := w.client.GetWorkflow(waitCtx, id, "").Get(waitCtx, &res); err != nil {
		t.Fatalf("sweep %s (first run %s): %v", id, run.GetRunID(), err)
	}
	t.Logf("result after the restart: expired %d, pages %d, visited %d, continuations %d", res.Totals.Expired(), res.Pages, res.Visited, res.Continuations)
	if got := res.Totals["quick"].Expired; got != n {
		t.Errorf("the sweep says it expired %d, want %d", got, n)
	}
	if c := w.count(`SELECT count(*) FROM cards WHERE state = 'expired'`); c != n {
		t.Errorf("%d cards expired, want %d", c, n)
	}
	if c := w.count(`SELECT count(*) FROM card_events WHERE event = 'expire'`); c != n {
		t.Errorf("%d expire audit rows, want %d", c, n)
	}
	if c := w.count(`SELECT count(*) FROM (SELECT card_id FROM card_events WHERE event = 'expire' GROUP BY card_id HAVING count(*) > 1) d`); c != 0 {
		t.Errorf("%d cards with more than one expire audit row", c)
	}
}
