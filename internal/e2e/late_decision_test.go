package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// An approval signalled before the approval timeout whose directory check
// waits out a database error until after it does not approve the card: the
// timeout stands, and the signal is recorded as ignored with the reason.
func TestApprovalCheckedAfterTheTimeoutIsIgnored(t *testing.T) {
	// Not in parallel with the others: the signal must reach the workflow
	// within the 8 s approval timeout, which a busy machine could miss.
	h := newHarness(t)
	s := h.request(h.user("active"), "late")
	wid := requestcard.WorkflowID(s.ID)
	restore := h.hideTable("users")
	h.temporalCmd("workflow", "signal", "--workflow-id", wid, "--name", "approve", "--input", `{"actor": "alice", "comment": "late"}`)
	if time.Now().After(*s.ExpiresAt) {
		t.Fatalf("the signal was sent after the approval timeout (%s); the test needs it before", s.ExpiresAt)
	}
	h.waitStatus(wid, 20*time.Second, func(st cards.Status) bool { return strings.HasPrefix(st.Waiting, "Check approver failed") })
	time.Sleep(time.Until(s.ExpiresAt.Add(time.Second))) // past the approval timeout, not a wait for a result
	restore()
	if err := h.wait(s.ID); err != nil {
		t.Fatal(err)
	}
	if ev := h.events(s.ID); len(ev) != 2 || !strings.HasPrefix(ev[1], "requested->aborted by system: the approval timed out") {
		t.Fatalf("audit events %q, want the request and the abort", ev)
	}
	st := h.statusOf("status", "--request", s.ID)
	if len(st.Ignored) != 1 || st.Ignored[0].Actor != "alice" || !strings.Contains(st.Ignored[0].Reason, "approval timed out at") {
		t.Fatalf("ignored %+v, want alice's approval with the reason", st.Ignored)
	}
	// The change id of its own adds to TemporalChangeVersion; the worker's
	// retired-versions query must still see the execution as current.
	this := "WorkflowId = '" + wid + "'"
	// Version 3 (the shared approval process) refuses a late vote without
	// a change id of its own.
	h.waitCount(this+" AND TemporalChangeVersion = 'request-card-5'", 1, 20*time.Second)
	retired := strings.Replace(requestcard.RetiredVersionsQuery, "ExecutionStatus = 'Running'", this, 1)
	if n := h.count(retired); n != 0 {
		t.Fatalf("the retired-versions query lists an execution of the current version (%s)", retired)
	}
}

// count counts the executions that match a visibility query.
func (h *harness) count(query string) int64 {
	h.t.Helper()
	resp, err := h.client.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		h.t.Fatalf("count %s: %v", query, err)
	}
	return resp.GetCount()
}

// waitCount waits until query counts want executions (visibility lags).
func (h *harness) waitCount(query string, want int64, within time.Duration) {
	h.t.Helper()
	testkit.Eventually(h.t, within, func() (bool, string) {
		n := h.count(query)
		return n == want, fmt.Sprintf("%s counts %d, want %d", query, n, want)
	})
}

// waitStatus polls the workflow's status query until ok, within a deadline.
func (h *harness) waitStatus(workflowID string, within time.Duration, ok func(cards.Status) bool) cards.Status {
	h.t.Helper()
	var st cards.Status
	testkit.Eventually(h.t, within, func() (bool, string) {
		st = cards.Status{}
		v, err := h.client.QueryWorkflow(context.Background(), workflowID, "", requestcard.StatusQuery)
		if err == nil {
			err = v.Get(&st)
		}
		return err == nil && ok(st), fmt.Sprintf("status of %s not as wanted: %+v (err %v)", workflowID, st, err)
	})
	return st
}

// A workflow cancelled while the approval it received is being written:
// the approver is told the approval was written (it is), not "canceled".
func TestCancelWhileTheApprovalIsWrittenAnswersTheApproval(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	restore := h.hideTable("card_events")
	progress, done := h.starterAsync("approve", "--request", s.ID, "--approver", "alice", "--comment", "cancelled meanwhile", "--timeout", "90s", "--json")
	// The deciding vote's audit row is written with the decision (Request
	// card version 4): that write waits for card_events.
	progress.WaitFor(t, "waiting: Write decision, attempt", 40*time.Second)
	h.temporalCmd("workflow", "cancel", "--workflow-id", requestcard.WorkflowID(s.ID))
	// The workflow has seen the cancellation (a workflow task completed
	// after it) while the write still fails.
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		return h.taskCompletedAfter(s.ID, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED), "the workflow did not process the cancellation"
	})
	restore()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the approval did not answer within 60s of the database coming back")
	}
	if r.code != 0 || !strings.Contains(r.stdout, `"state": "approved"`) {
		t.Fatalf("approve: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if ev := h.events(s.ID); len(ev) != 3 || ev[1] != "requested->requested by alice: cancelled meanwhile" || !strings.HasPrefix(ev[2], "requested->approved by alice: cancelled meanwhile") {
		t.Fatalf("audit events %q, want the request, the vote and the approval, once", ev)
	}
	if err := h.wait(s.ID); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error = %v, want canceled", err)
	}
}

// taskCompletedAfter reports whether a workflow task of the card's workflow
// completed after an event of type event.
func (h *harness) taskCompletedAfter(cardID string, event enumspb.EventType) bool {
	h.t.Helper()
	seen := false
	it := h.client.GetWorkflowHistory(context.Background(), requestcard.WorkflowID(cardID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			h.t.Fatal(err)
		}
		switch {
		case e.GetEventType() == event:
			seen = true
		case seen && e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			return true
		}
	}
	return false
}
