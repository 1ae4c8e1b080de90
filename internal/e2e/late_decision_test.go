package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// An approval signalled before the approval timeout whose directory check
// waits out a database error until after it does not approve the card: the
// timeout stands, and the signal is recorded as ignored with the reason.
func TestApprovalCheckedAfterTheTimeoutIsIgnored(t *testing.T) {
	h := newHarness(t)
	s := h.request(h.user("active"), "late")
	wid := requestcard.WorkflowID(s.ID)
	restore := h.hideTable("users")
	temporalCmd(t, "workflow", "signal", "--workflow-id", wid, "--name", "approve", "--input", `{"actor": "alice", "comment": "late"}`)
	if time.Now().After(*s.ExpiresAt) {
		t.Fatalf("the signal was sent after the approval timeout (%s); the test needs it before", s.ExpiresAt)
	}
	h.waitStatus(wid, 20*time.Second, func(st cards.Status) bool { return strings.HasPrefix(st.Waiting, "Check approver failed") })
	for time.Now().Before(s.ExpiresAt.Add(time.Second)) {
		time.Sleep(100 * time.Millisecond)
	}
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
}

// waitStatus polls the workflow's status query until ok, within a deadline.
func (h *harness) waitStatus(workflowID string, within time.Duration, ok func(cards.Status) bool) cards.Status {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var st cards.Status
		v, err := h.client.QueryWorkflow(context.Background(), workflowID, "", requestcard.StatusQuery)
		if err == nil {
			err = v.Get(&st)
		}
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("status of %s not as wanted within %s: %+v (err %v)", workflowID, within, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
