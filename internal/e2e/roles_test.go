package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The roles section of the contract, end to end: the starter and plain
// Temporal signals against the real worker, dev server and directory.

func TestRequesterMustHoldTheOperatorRole(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	inactive := h.user("inactive")
	h.starter("users", "upsert", "--id", inactive, "--given-name", "I", "--surname", "N", "--upn", inactive+"@example.com", "--state", "inactive", "--role", "operator")
	for _, tc := range []struct{ operator, want string }{
		{"nobody", `requester "nobody" is not a user of the directory`},
		{"mallory", `requester "mallory" does not hold role "operator"`},
		{inactive, `requester "` + inactive + `" is "inactive"`},
	} {
		msg := h.refusal(3, cards.ErrNotAllowed, "request", "--user", user, "--operator", tc.operator)
		if !strings.Contains(msg, tc.want) {
			t.Errorf("operator %s: message %q, want it to contain %q", tc.operator, msg, tc.want)
		}
	}
	if n := h.countCards(user); n != 0 {
		t.Fatalf("%d cards written for refused requesters, want 0", n)
	}
	// Self-service is off by default: a user may not request their own card.
	msg := h.refusal(3, cards.ErrNotAllowed, "request", "--user", user, "--operator", user)
	if !strings.Contains(msg, `does not hold role "operator"`) {
		t.Fatalf("self request: %q", msg)
	}
	h.request(user, "")
}

func TestSelfServiceLetsAUserRequestTheirOwnCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.writePolicy("requesterRole: desk\nselfService: true\n" + testkit.Policy)
	user := h.user("active")
	s := h.statusOf("request", "--user", user, "--operator", user)
	if s.State != cards.StateRequested || s.RequestedBy != user {
		t.Fatalf("self-service request: %+v", s)
	}
	// Requesting for someone else still needs requesterRole (desk, not operator).
	other := h.user("active")
	msg := h.refusal(3, cards.ErrNotAllowed, "request", "--user", other, "--operator", "olivia")
	if !strings.Contains(msg, `does not hold role "desk"`) || !strings.Contains(msg, "self-service") {
		t.Fatalf("message %q", msg)
	}
	// The card's own user cannot approve it either.
	msg = h.refusal(3, cards.ErrNotAllowed, "approve", "--request", s.ID, "--approver", user)
	if !strings.Contains(msg, "requested this card") && !strings.Contains(msg, "the user this card is for") {
		t.Fatalf("message %q", msg)
	}
}

// Each approver rule refuses an update with NotAllowed naming the rule, and
// ignores the same decision sent as a plain signal, with the reason in the
// status. Nothing counts until an allowed approver decides.
func TestApproverRulesThroughUpdatesAndSignals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	h.starter("users", "upsert", "--id", "ivan", "--given-name", "Ivan", "--surname", "Idle", "--upn", "ivan@example.com", "--state", "inactive", "--role", "approver")
	s := h.request(user, "")
	rules := []struct{ actor, want string }{
		{"nobody", "nobody is not a user of the directory"},
		{"ivan", `ivan is "inactive" in the directory`},
		{"mallory", `mallory does not hold role "approver"`},
		{user, user + " is the user this card is for"},
		{"olivia", "olivia requested this card"},
	}
	for _, rule := range rules {
		for _, kind := range []string{"approve", "reject"} {
			msg := h.refusal(3, cards.ErrNotAllowed, kind, "--request", s.ID, "--approver", rule.actor, "--comment", "a reason")
			if !strings.Contains(msg, rule.want) {
				t.Errorf("%s by %s: message %q, want %q", kind, rule.actor, msg, rule.want)
			}
		}
		h.temporalCmd("workflow", "signal", "--workflow-id", s.WorkflowID, "--name", "approve",
			"--input", `{"actor": "`+rule.actor+`", "comment": "by signal"}`)
	}
	status := h.waitForIgnored(s.ID, len(rules))
	for i, rule := range rules {
		ig := status.Ignored[i]
		if ig.Actor != rule.actor || !strings.HasPrefix(ig.Reason, "NotAllowed: ") || !strings.Contains(ig.Reason, rule.want) {
			t.Errorf("ignored[%d] = %+v, want %s refused with %q", i, ig, rule.actor, rule.want)
		}
	}
	if len(status.Approvals) != 0 || status.State != cards.StateRequested {
		t.Fatalf("refused decisions counted: %+v", status)
	}
	done := h.statusOf("approve", "--request", s.ID, "--approver", "alice", "--comment", "known to me")
	if done.State != cards.StateApproved || h.card(s.ID).State != cards.StateApproved {
		t.Fatalf("allowed approver: %+v", done)
	}
}

// A role removed after the request no longer counts: the directory is read
// when the decision arrives, not when the card was requested.
func TestRoleRemovedAfterTheRequestNoLongerCounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	user := h.user("active")
	s := h.request(user, "privileged")
	h.statusOf("approve", "--request", s.ID, "--approver", "alice")
	r := h.starter("users", "upsert", "--id", "bernard", "--given-name", "Bernard", "--surname", "Brook", "--upn", "bernard@example.com", "--state", "active")
	if r.code != 0 || !strings.Contains(r.stdout, "no roles") {
		t.Fatalf("removing bernard's roles: %+v", r)
	}
	msg := h.refusal(3, cards.ErrNotAllowed, "approve", "--request", s.ID, "--approver", "bernard")
	if !strings.Contains(msg, `bernard does not hold role "approver"`) {
		t.Fatalf("message %q", msg)
	}
	done := h.statusOf("approve", "--request", s.ID, "--approver", "carl")
	if done.State != cards.StateApproved || len(done.Approvals) != 2 {
		t.Fatalf("after carl: %+v", done)
	}
}

func TestUsersUpsertSetsAndReplacesRoles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.starter("users", "upsert", "--id", "pat", "--given-name", "Pat", "--surname", "Post", "--upn", "pat@example.com",
		"--state", "active", "--role", "operator", "--role", "approver", "--role", "operator")
	if r.code != 0 || !strings.Contains(r.stdout, "roles: approver, operator") {
		t.Fatalf("upsert: %+v", r)
	}
	r = h.starter("users", "upsert", "--id", "pat", "--given-name", "Pat", "--surname", "Post", "--upn", "pat@example.com", "--state", "active", "--role", "approver")
	users, err := h.store.Users(context.Background(), "pat")
	if r.code != 0 || err != nil || strings.Join(users["pat"].Roles, ",") != "approver" {
		t.Fatalf("replace: %+v, %v, %v", r, users, err)
	}
	if r := h.starter("users", "upsert", "--id", "pat", "--given-name", "P", "--surname", "P", "--upn", "p", "--state", "active", "--role", " "); r.code != 2 {
		t.Fatalf("empty role: exit %d, want 2 (%s)", r.code, r.stderr)
	}
}

// waitForIgnored polls the status until n signals are recorded as ignored.
func (h *harness) waitForIgnored(cardID string, n int) cards.Status {
	h.t.Helper()
	var s cards.Status
	testkit.Eventually(h.t, 20*time.Second, func() (bool, string) {
		s = h.statusOf("status", "--request", cardID)
		return len(s.Ignored) >= n, fmt.Sprintf("%d ignored signals, want %d: %+v", len(s.Ignored), n, s)
	})
	return s
}

// writePolicy replaces the harness's policy and restarts the worker with it.
func (h *harness) writePolicy(yaml string) {
	h.t.Helper()
	if err := os.WriteFile(h.policyPath, []byte(yaml), 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.stopWorker()
	h.startWorker()
}
