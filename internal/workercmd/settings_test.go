package workercmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cliparse"
)

// validRun is a RunCmd with the defaults of the flags.
func validRun() RunCmd {
	return RunCmd{Temporal: cliparse.Temporal{TaskQueue: "cards"}, DBMaxConns: 20, WorkflowPollers: 8, ActivityPollers: 8, WorkflowCache: 2000, RetryFor: time.Hour}
}

// Each numeric setting at its lowest sensible value passes, and one below
// it is refused at start, from the environment as from a flag, with the
// variable named, before the worker connects to anything.
func TestSettingsRefuseValuesThatCannotWork(t *testing.T) {
	cases := []struct {
		variable  string
		ok, bad   string
		wantInErr string
	}{
		{"CARDS_WORKFLOW_POLLERS", "2", "1", "--workflow-pollers (CARDS_WORKFLOW_POLLERS) must be at least 2, got 1"},
		{"CARDS_WORKFLOW_POLLERS", "2", "0", "must be at least 2, got 0"},
		{"CARDS_ACTIVITY_POLLERS", "1", "0", "--activity-pollers (CARDS_ACTIVITY_POLLERS) must be at least 1, got 0"},
		{"CARDS_DB_MAX_CONNS", "1", "-5", "--db-max-conns (CARDS_DB_MAX_CONNS) must be at least 1, got -5"},
		{"CARDS_DB_MAX_CONNS", "1", "0", "--db-max-conns (CARDS_DB_MAX_CONNS) must be at least 1, got 0"},
		{"CARDS_WORKFLOW_CACHE", "1", "0", "--workflow-cache (CARDS_WORKFLOW_CACHE) must be positive, got 0"},
		{"CARDS_RETRY_FOR", "1ns", "0s", "--retry-for (CARDS_RETRY_FOR) must be positive, got 0s"},
		{"CARDS_RETRY_FOR", "1ns", "-1h", "--retry-for (CARDS_RETRY_FOR) must be positive, got -1h0m0s"},
		{"CARDS_TASK_QUEUE", "q", " ", "--task-queue (CARDS_TASK_QUEUE) must not be empty"},
		{"TEMPORAL_ADDRESS", "localhost:7233", "localhost:notaport", `Temporal address "localhost:notaport" has port "notaport", not a number from 1 to 65535: set TEMPORAL_ADDRESS`},
		{"TEMPORAL_ADDRESS", "[::1]:7233", "::::", `Temporal address "::::" is not host:port`},
	}
	for _, c := range cases {
		t.Run(c.variable+"="+c.bad, func(t *testing.T) {
			t.Setenv(c.variable, c.ok)
			var out, errOut bytes.Buffer
			// A valid value passes the check: the worker then fails only
			// later, at the policy file this test does not give it.
			code := Run(context.Background(), []string{"--metrics-address", "", "--policy", "/nonexistent/policy.yaml"}, &out, &errOut)
			if code != 1 || !strings.Contains(errOut.String(), "policy") || strings.Contains(errOut.String(), c.variable+")") {
				t.Fatalf("%s=%s: exit %d, stderr %q; want it past the settings check", c.variable, c.ok, code, errOut.String())
			}
			t.Setenv(c.variable, c.bad)
			out.Reset()
			errOut.Reset()
			code = Run(context.Background(), []string{"--metrics-address", ""}, &out, &errOut)
			if code != 1 || !strings.Contains(errOut.String(), c.wantInErr) {
				t.Fatalf("%s=%s: exit %d, stderr %q; want it refused with %q", c.variable, c.bad, code, errOut.String(), c.wantInErr)
			}
		})
	}
}

// Every problem is named at once, so a deployment is fixed in one go.
func TestSettingsNameEveryProblem(t *testing.T) {
	c := validRun()
	if err := c.check(); err != nil {
		t.Fatalf("the defaults are refused: %v", err)
	}
	c.DBMaxConns, c.WorkflowPollers = -5, 0
	err := c.check()
	if err == nil || !strings.Contains(err.Error(), "CARDS_DB_MAX_CONNS") || !strings.Contains(err.Error(), "CARDS_WORKFLOW_POLLERS") {
		t.Fatalf("err = %v, want both settings named", err)
	}
}
