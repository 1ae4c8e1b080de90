package workercmd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cardflow/cardflow/internal/temporalconn"
)

// check refuses settings that cannot work, naming each flag and its
// variable, before anything starts: a zero pool or poller count would start
// a worker that never takes work, and the SDK panics on one workflow poller.
func (c *RunCmd) check() error {
	var problems []string
	atLeast := func(flag, variable string, got, lowest int, what string) {
		if got < lowest {
			problems = append(problems, fmt.Sprintf("--%s (%s) must be at least %d, got %d: it is %s", flag, variable, lowest, got, what))
		}
	}
	positive := func(flag, variable string, got time.Duration, what string) {
		if got <= 0 {
			problems = append(problems, fmt.Sprintf("--%s (%s) must be positive, got %s: it is %s", flag, variable, got, what))
		}
	}
	positive("retry-for", "CARDS_RETRY_FOR", c.RetryFor, "how long infrastructure errors are retried (default 1h)")
	if c.WorkflowCache <= 0 {
		problems = append(problems, fmt.Sprintf("--workflow-cache (CARDS_WORKFLOW_CACHE) must be positive, got %d: it is how many workflow executions the worker keeps in memory (default 2000)", c.WorkflowCache))
	}
	atLeast("db-max-conns", "CARDS_DB_MAX_CONNS", c.DBMaxConns, 1, "how many PostgreSQL connections the worker may open (default 20)")
	// One workflow poller would only ever poll the sticky queue: the SDK
	// refuses it.
	atLeast("workflow-pollers", "CARDS_WORKFLOW_POLLERS", c.WorkflowPollers, 2, "how many workflow task pollers run (default 8)")
	atLeast("activity-pollers", "CARDS_ACTIVITY_POLLERS", c.ActivityPollers, 1, "how many activity task pollers run (default 8)")
	if strings.TrimSpace(c.TaskQueue) == "" {
		problems = append(problems, "--task-queue (CARDS_TASK_QUEUE) must not be empty: it is the Temporal task queue to poll (default cards)")
	}
	if c.TemporalAddress != "" {
		if err := temporalconn.CheckAddress(c.TemporalAddress); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}
