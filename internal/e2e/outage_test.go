package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/startercmd"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// A database error is retried, not a refusal: while the directory cannot be
// read, the request waits (the starter and the status say on what), and it
// completes, written once, when the database answers again. The fault is a
// renamed table, which makes every directory read fail like an outage would,
// without touching the connection (internal/faults cuts the network).
func TestDatabaseErrorIsRetriedNotRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	restore := h.hideTable("user_roles")

	id := uuid.NewString()
	progress, done := h.starterAsync("request", "--user", user, "--operator", "olivia", "--request-id", id, "--timeout", "90s", "--json")
	h.workflowIDs = append(h.workflowIDs, requestcard.WorkflowID(id))

	// The first try (a local activity) gives up after 10s; then the check
	// is a regular activity that Temporal shows as pending with its failure,
	// and the starter says so.
	waiting := h.waitForStatus(id, 30*time.Second, func(s cards.Status) bool { return s.Waiting != "" })
	progress.WaitFor(t, "waiting: Check user and requester, attempt", 30*time.Second)
	if !strings.Contains(waiting.Waiting, "Check user and requester") || !strings.Contains(waiting.Waiting, "user_roles") {
		t.Fatalf("waiting line %q does not say which step waits on what", waiting.Waiting)
	}
	if waiting.State != cards.StatePending {
		t.Fatalf("state while waiting = %s, want pending", waiting.State)
	}
	restore()

	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the request did not complete within 60s of the database coming back")
	}
	if r.code != 0 || !strings.Contains(r.stdout, `"state": "requested"`) {
		t.Fatalf("request after the outage: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if n := h.countCards(user); n != 1 {
		t.Fatalf("%d cards, want exactly 1", n)
	}
	if ev := h.events(id); len(ev) != 1 {
		t.Fatalf("audit events %q, want exactly one", ev)
	}
	s := h.statusOf("approve", "--request", id, "--approver", "alice")
	if s.State != cards.StateApproved || s.Waiting != "" {
		t.Fatalf("after approval: %+v", s)
	}
}

// starterAsync runs a starter command in the background; its stderr can be
// read while it runs, its result arrives on the channel.
func (h *harness) starterAsync(args ...string) (*testkit.Buffer, <-chan result) {
	full := append([]string{"--temporal-address", h.temporal, "--database-url", h.databaseURL, "--task-queue", h.taskQueue, "--codec-keys", h.codecSetting()}, args...)
	stderr := &testkit.Buffer{}
	done := make(chan result, 1)
	go func() {
		var stdout bytes.Buffer
		code := startercmd.Run(context.Background(), full, &stdout, stderr)
		done <- result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	}()
	return stderr, done
}

// A decision whose write fails is accepted and written exactly once when
// the database answers again; the update answers only then. The fault is
// in card_approvals, which the decision's transition writes and the vote's
// audit row (written first, by the approval process) does not: so it is the
// decision's write that waits. (TestCancelWhileTheApprovalIsWrittenAnswersTheApproval
// hides card_events, where the vote's write waits first.)
func TestDecisionDuringADatabaseErrorIsWrittenOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	restore := h.hideTable("card_approvals")
	progress, done := h.starterAsync("approve", "--request", s.ID, "--approver", "alice", "--comment", "during the outage", "--timeout", "90s", "--json")
	progress.WaitFor(t, "waiting: Write decision, attempt", 40*time.Second)
	if c := h.card(s.ID); c.State != cards.StateRequested {
		t.Fatalf("state changed without its audit event: %s", c.State)
	}
	restore()
	var r result
	select {
	case r = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the approval did not complete within 60s of the database coming back")
	}
	if r.code != 0 || !strings.Contains(r.stdout, `"state": "approved"`) {
		t.Fatalf("approve: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if ev := h.events(s.ID); len(ev) != 3 || ev[1] != "requested->requested by alice: during the outage" || !strings.HasPrefix(ev[2], "requested->approved by alice: during the outage") {
		t.Fatalf("audit events %q, want the request, the vote and one approval", ev)
	}
	if c := h.card(s.ID); c.State != cards.StateApproved {
		t.Fatalf("stored state %s", c.State)
	}
	if approvals, err := h.store.Approvals(context.Background(), s.ID); err != nil || len(approvals) != 1 {
		t.Fatalf("stored approvals %v, %v; want alice's once", approvals, err)
	}
}

// hideTable renames table away, so that every statement using it fails as
// it would in an outage, without touching the connection. The returned
// function puts it back; the test's end does too, if it was not called.
func (h *harness) hideTable(table string) (restore func()) {
	h.t.Helper()
	h.exec(`ALTER TABLE ` + table + ` RENAME TO ` + table + `_away`)
	var once sync.Once
	restore = func() { once.Do(func() { h.exec(`ALTER TABLE ` + table + `_away RENAME TO ` + table) }) }
	h.t.Cleanup(restore)
	return restore
}

// exec runs SQL on the test's database.
func (h *harness) exec(sql string) {
	h.t.Helper()
	if _, err := h.store.DB.ExecContext(context.Background(), sql); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
}

// waitForStatus polls the status until ok says so.
func (h *harness) waitForStatus(cardID string, within time.Duration, ok func(cards.Status) bool) cards.Status {
	h.t.Helper()
	var s cards.Status
	testkit.Eventually(h.t, within, func() (bool, string) {
		r := h.starter("status", "--request", cardID, "--json")
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil {
			return false, fmt.Sprintf("status of %s: exit %d %s %s", cardID, r.code, r.stdout, r.stderr)
		}
		return ok(s), fmt.Sprintf("status of %s did not reach the expected condition; last: %s", cardID, r.stdout)
	})
	return s
}
