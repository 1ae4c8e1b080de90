package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

func TestNoApprovalEndsApprovedAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	s := h.request(user, "visitor")
	if s.State != cards.StateApproved || s.CommonName != "Visitor Surname"+user || s.UPN != "visitor."+user+"@example.com" {
		t.Fatalf("status = %+v, want approved with the visitor mapping", s)
	}
	if err := h.wait(s.ID); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	c := h.card(s.ID)
	if c.State != cards.StateApproved || c.RequestedBy != "olivia" || c.WorkflowID != requestcard.WorkflowID(s.ID) {
		t.Fatalf("stored card = %+v", c)
	}
	if ev := h.events(s.ID); len(ev) != 1 || !strings.HasPrefix(ev[0], "->approved by olivia") {
		t.Fatalf("events = %q, want one creation event straight to approved", ev)
	}
}

func TestTwoApproversNeeded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	s := h.request(user, "privileged")
	if s.State != cards.StateRequested || s.ApprovalsRequired != 2 || s.CommonName != "Given"+user+" Surname"+user {
		t.Fatalf("status = %+v, want requested needing 2", s)
	}
	s = h.statusOf("approve", "--request", s.ID, "--approver", "alice", "--comment", "known to me")
	if s.State != cards.StateRequested || len(s.Approvals) != 1 || s.Approvals[0].Actor != "alice" {
		t.Fatalf("after one approval: %+v", s)
	}
	if c := h.card(s.ID); c.State != cards.StateRequested {
		t.Fatalf("stored state after one of two approvals = %s", c.State)
	}
	s = h.statusOf("approve", "--request", s.ID, "--approver", "bernard")
	if s.State != cards.StateApproved || len(s.Approvals) != 2 {
		t.Fatalf("after two approvals: %+v", s)
	}
	if c := h.card(s.ID); c.State != cards.StateApproved {
		t.Fatalf("stored state = %s, want approved", c.State)
	}
	// Every vote is in the audit trail, then the transition.
	ev := h.events(s.ID)
	if len(ev) != 4 || ev[1] != "requested->requested by alice: known to me" || ev[2] != "requested->requested by bernard: " ||
		!strings.HasPrefix(ev[3], "requested->approved by bernard") {
		t.Fatalf("events = %q", ev)
	}
	approvals, err := h.store.Approvals(context.Background(), s.ID)
	if err != nil || len(approvals) != 2 {
		t.Fatalf("stored approvals = %v, %v", approvals, err)
	}
	// A decision after the end is refused and says why.
	msg := h.refusal(3, cards.ErrAlreadyDecided, "reject", "--request", s.ID, "--approver", "carl", "--comment", "too late")
	if !strings.Contains(msg, "approved") {
		t.Fatalf("late reject message %q does not name the state", msg)
	}
}

func TestRequesterCannotApprove(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	msg := h.refusal(3, cards.ErrNotAllowed, "approve", "--request", s.ID, "--approver", "olivia")
	if !strings.Contains(msg, "olivia") {
		t.Fatalf("message %q does not name the requester", msg)
	}
	if c := h.card(s.ID); c.State != cards.StateRequested {
		t.Fatalf("state = %s after a refused approval", c.State)
	}
}

func TestSameApproverTwice(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "privileged")
	h.statusOf("approve", "--request", s.ID, "--approver", "alice")
	h.refusal(3, cards.ErrNotAllowed, "approve", "--request", s.ID, "--approver", "alice")
	if st := h.statusOf("status", "--request", s.ID); st.State != cards.StateRequested || len(st.Approvals) != 1 {
		t.Fatalf("status after duplicate approval: %+v", st)
	}
}

func TestReject(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	if r := h.starter("reject", "--request", s.ID, "--approver", "alice"); r.code != 2 {
		t.Fatalf("reject without a reason: exit %d, want 2 (%s)", r.code, r.stderr)
	}
	s = h.statusOf("reject", "--request", s.ID, "--approver", "alice", "--comment", "no badge needed")
	if s.State != cards.StateRejected {
		t.Fatalf("state = %s", s.State)
	}
	if err := h.wait(s.ID); err != nil {
		t.Fatal(err)
	}
	ev := h.events(s.ID)
	if len(ev) != 3 || ev[1] != "requested->requested by alice: no badge needed" || ev[2] != "requested->rejected by alice: no badge needed" {
		t.Fatalf("events = %q", ev)
	}
}

func TestCancelByRequesterOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	h.refusal(3, cards.ErrNotAllowed, "cancel", "--request", s.ID, "--operator", "mallory")
	s = h.statusOf("cancel", "--request", s.ID, "--operator", "olivia", "--comment", "wrong user")
	if s.State != cards.StateAborted {
		t.Fatalf("state = %s", s.State)
	}
	if ev := h.events(s.ID); len(ev) != 2 || ev[1] != "requested->aborted by olivia: wrong user" {
		t.Fatalf("events = %q", ev)
	}
}

func TestTemporalCancelAbortsTheCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	h.temporalCmd("workflow", "cancel", "--workflow-id", requestcard.WorkflowID(s.ID))
	if err := h.wait(s.ID); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error = %v, want canceled", err)
	}
	ev := h.events(s.ID)
	if len(ev) != 2 || !strings.HasPrefix(ev[1], "requested->aborted by system: the workflow was cancelled") {
		t.Fatalf("events = %q", ev)
	}
	// The status of a cancelled request comes from PostgreSQL.
	if st := h.statusOf("status", "--request", s.ID); st.State != cards.StateAborted {
		t.Fatalf("status = %+v", st)
	}
}

func TestApprovalTimeoutAborts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "short")
	if err := h.wait(s.ID); err != nil {
		t.Fatal(err)
	}
	c := h.card(s.ID)
	ev := h.events(s.ID)
	if c.State != cards.StateAborted || len(ev) != 2 || !strings.HasPrefix(ev[1], "requested->aborted by system: the approval timed out") {
		t.Fatalf("state %s, events %q", c.State, ev)
	}
	h.refusal(3, cards.ErrAlreadyDecided, "approve", "--request", s.ID, "--approver", "alice")
}

func TestBusinessRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	inactive := h.user("inactive")
	msg := h.refusal(3, cards.ErrUserNotActive, "request", "--user", inactive)
	if !strings.Contains(msg, "inactive") {
		t.Fatalf("message %q does not name the state", msg)
	}
	h.refusal(3, cards.ErrUserNotFound, "request", "--user", "ghost")
	msg = h.refusal(3, cards.ErrUnknownCardType, "request", "--user", h.user("active"), "--card-type", "gold")
	if !strings.Contains(msg, "gold") || !strings.Contains(msg, "standard") {
		t.Fatalf("message %q should name the type and the known ones", msg)
	}
	if n := h.countCards(inactive) + h.countCards("ghost"); n != 0 {
		t.Fatalf("refused requests wrote %d cards", n)
	}
	// The refusal is also the workflow's failure, with the contract's type.
	ghostID := uuid.NewString()
	r := h.starter("request", "--user", "ghost", "--request-id", ghostID)
	if r.code != 3 {
		t.Fatalf("exit %d", r.code)
	}
	h.workflowIDs = append(h.workflowIDs, requestcard.WorkflowID(ghostID))
	if err := h.wait(ghostID); !isAppError(err, cards.ErrUserNotFound) {
		t.Fatalf("workflow error = %v, want UserNotFound", err)
	}
}

func TestDuplicateOpenRequestNamesTheOpenOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	first := h.request(user, "")
	msg := h.refusal(3, cards.ErrDuplicateOpenRequest, "request", "--user", user, "--operator", "olivia")
	if !strings.Contains(msg, first.ID) {
		t.Fatalf("message %q does not name the open card %s", msg, first.ID)
	}
	// Another card type is another request.
	if s := h.request(user, "privileged"); s.State != cards.StateRequested {
		t.Fatalf("privileged request: %+v", s)
	}
	if n := h.countCards(user); n != 2 {
		t.Fatalf("cards = %d, want 2", n)
	}
}

func TestSameRequestIDTwiceAttaches(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	id := uuid.NewString()
	first := h.request(user, "", "--request-id", id)
	second := h.request(user, "", "--request-id", strings.ToUpper(id))
	if first.ID != id || second.ID != id || second.State != cards.StateRequested {
		t.Fatalf("first %+v second %+v", first, second)
	}
	if n, ev := h.countCards(user), h.events(id); n != 1 || len(ev) != 1 {
		t.Fatalf("cards %d events %q, want one of each", n, ev)
	}
	// Once the request is over, the same id reports the outcome.
	h.statusOf("approve", "--request", id, "--approver", "alice")
	if err := h.wait(id); err != nil {
		t.Fatal(err)
	}
	if again := h.request(user, "", "--request-id", id); again.State != cards.StateApproved {
		t.Fatalf("after the end: %+v", again)
	}
	if n := h.countCards(user); n != 1 {
		t.Fatalf("cards = %d", n)
	}
}

func TestSignalsWithBadPayloadsAreIgnoredAndRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	wid := requestcard.WorkflowID(s.ID)
	h.temporalCmd("workflow", "signal", "--workflow-id", wid, "--name", "approve", "--input", `"just a string"`)
	h.temporalCmd("workflow", "signal", "--workflow-id", wid, "--name", "approve", "--input", `{"comment": "no actor"}`)
	h.temporalCmd("workflow", "signal", "--workflow-id", wid, "--name", "approve", "--input", `{"actor": "olivia"}`)
	h.temporalCmd("workflow", "signal", "--workflow-id", wid, "--name", "cancel", "--input", `{"actor": "mallory"}`)
	h.temporalCmd("workflow", "signal", "--workflow-id", wid, "--name", "reject", "--input", `{"actor": "alice", "comment": " "}`)
	st := h.statusOf("status", "--request", s.ID)
	if st.State != cards.StateRequested || len(st.Ignored) != 5 {
		t.Fatalf("status = %+v, want requested with 5 ignored signals", st)
	}
	// Signals of one kind are taken in the order sent; signals of different
	// kinds that reach the worker in one workflow task are taken kind by
	// kind, so the reasons are compared per kind.
	reasons := map[string][]string{}
	for _, ig := range st.Ignored {
		reasons[ig.Signal] = append(reasons[ig.Signal], ig.Signal+"/"+ig.Actor+": "+ig.Reason)
	}
	want := map[string][]string{
		"approve": {"payload", "actor", "olivia requested"},
		"cancel":  {"only the requester"},
		"reject":  {"reason"},
	}
	for _, kind := range []string{"approve", "cancel", "reject"} {
		got := reasons[kind]
		if len(got) != len(want[kind]) {
			t.Fatalf("ignored %s signals = %q, want %d", kind, got, len(want[kind]))
		}
		for i, w := range want[kind] {
			if !strings.Contains(got[i], w) {
				t.Fatalf("ignored %s[%d] = %q, want it to mention %q", kind, i, got[i], w)
			}
		}
	}
	// A valid signal after all that still works: the workflow never failed.
	h.temporalCmd("workflow", "signal", "--workflow-id", wid, "--name", "approve", "--input", `{"actor": "alice", "comment": "ok"}`)
	if err := h.wait(s.ID); err != nil {
		t.Fatal(err)
	}
	if c := h.card(s.ID); c.State != cards.StateApproved {
		t.Fatalf("state = %s", c.State)
	}
}

func TestApprovalWhileWorkerIsDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	h.stopWorker()
	err := h.client.SignalWorkflow(context.Background(), requestcard.WorkflowID(s.ID), "", "approve", cards.DecisionInput{Actor: "alice", Comment: "while down"})
	if err != nil {
		t.Fatal(err)
	}
	if c := h.card(s.ID); c.State != cards.StateRequested {
		t.Fatalf("state changed with no worker: %s", c.State)
	}
	h.startWorker()
	if err := h.wait(s.ID); err != nil {
		t.Fatal(err)
	}
	if c := h.card(s.ID); c.State != cards.StateApproved {
		t.Fatalf("state = %s after restart", c.State)
	}
}

func TestSearchAttributesFollowTheState(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	s := h.request(user, "")
	query := "CardRequestState='requested' AND CardUserId='" + user + "' AND CardType='standard'"
	waitForList(t, h.client, query, requestcard.WorkflowID(s.ID))
	h.statusOf("approve", "--request", s.ID, "--approver", "alice")
	waitForList(t, h.client, "CardRequestState='approved' AND CardUserId='"+user+"'", requestcard.WorkflowID(s.ID))
	out := h.temporalCmd("workflow", "list", "--query", "CardRequestState='approved' AND CardUserId='"+user+"'")
	if !strings.Contains(out, requestcard.WorkflowID(s.ID)) {
		t.Fatalf("temporal workflow list did not show the card:\n%s", out)
	}
}

// waitForList polls visibility, which is eventually consistent, until the
// query finds the workflow; it fails after the deadline.
func waitForList(t *testing.T, c client.Client, query, workflowID string) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		found := err == nil && slices.ContainsFunc(resp.GetExecutions(), func(e *workflowpb.WorkflowExecutionInfo) bool {
			return e.GetExecution().GetWorkflowId() == workflowID
		})
		return found, fmt.Sprintf("visibility query %q does not find %s (error %v)", query, workflowID, err)
	})
}
