package systems

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/bench/engine"
)

// updateResult records one update's outcome in the test environment.
type updateResult struct {
	state    string
	err      error
	rejected bool
}

func (u *updateResult) callbacks() *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { u.rejected, u.err = true, err },
		OnComplete: func(v any, err error) { u.err = err; u.state, _ = v.(string) },
	}
}

// The yardstick does the job it stands for: "persisted" answers once the
// card is requested, "approve" answers approved after its state change, a
// second approval is refused by the validator (no history event), and the
// workflow ends approved.
func TestMinimalRequestApproval(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(minimalReads)
	env.RegisterActivity(minimalPersist)
	env.RegisterActivity(minimalTransition)
	var persisted, approved, again updateResult
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow("persisted", "p", persisted.callbacks()) }, 0)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow("approve", "a1", approved.callbacks(), engine.Approver)
		// While the first approval's state change runs.
		env.UpdateWorkflow("approve", "a2", again.callbacks(), engine.Approver)
	}, time.Second)
	env.ExecuteWorkflow(MinimalRequest, MinimalInput{Approval: true})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var final string
	if err := env.GetWorkflowResult(&final); err != nil || final != minimalApproved {
		t.Fatalf("result %q, %v; want approved", final, err)
	}
	if persisted.state != minimalRequested || persisted.err != nil {
		t.Errorf("persisted answered %q, %v; want requested", persisted.state, persisted.err)
	}
	if approved.state != minimalApproved || approved.err != nil {
		t.Errorf("approve answered %q, %v; want approved", approved.state, approved.err)
	}
	if !again.rejected || again.err == nil || !strings.Contains(again.err.Error(), errNotWaiting.Error()) {
		t.Errorf("a second approval: rejected %v, %v; want refused", again.rejected, again.err)
	}
}

// Without approval the card is approved at once and nothing waits.
func TestMinimalRequestNoApproval(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterActivity(minimalReads)
	env.RegisterActivity(minimalPersist)
	var persisted updateResult
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow("persisted", "p", persisted.callbacks()) }, 0)
	env.ExecuteWorkflow(MinimalRequest, MinimalInput{})
	var final string
	if err := env.GetWorkflowResult(&final); err != nil || final != minimalApproved {
		t.Fatalf("result %q, %v; want approved", final, err)
	}
	if persisted.state != minimalApproved {
		t.Errorf("persisted answered %q, want approved", persisted.state)
	}
}
