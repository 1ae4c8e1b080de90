package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

// Postpone keeps the approval in the approver's Inbox, marked, with the
// comment, and changes nothing else; `starter approvals` lists what the
// Inbox shows; every vote is an audit row.
func TestPostponeKeepsTheApprovalInTheInbox(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	s := h.request(h.user("active"), "")
	inbox := func(approver string) approvalsList {
		t.Helper()
		r := h.starter("approvals", "--approver", approver, "--json")
		if r.code != 0 {
			t.Fatalf("approvals: exit %d: %s", r.code, r.stderr)
		}
		var doc approvalsList
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("approvals --json: %v\n%s", err, r.stdout)
		}
		return doc
	}
	if doc := inbox("alice"); !doc.has(s.ID, "") {
		t.Fatalf("alice's Inbox %+v does not list the request", doc)
	}
	if doc := inbox("olivia"); doc.has(s.ID, "") {
		t.Fatalf("the requester's Inbox lists her own request: %+v", doc)
	}
	if r := h.starter("postpone", "--card", s.ID, "--approver", "alice", "--comment", "after the audit"); r.code != 0 {
		t.Fatalf("postpone: exit %d: %s", r.code, r.stderr)
	}
	if doc := inbox("alice"); !doc.has(s.ID, "after the audit") {
		t.Fatalf("alice's Inbox %+v does not mark the postponed request", doc)
	}
	// The status document carries the open approval, postponement and all.
	if a := h.statusOf("status", "--card", s.ID).Approval; a == nil || a.Operation != "request" || len(a.Postponed) != 1 ||
		a.Postponed[0].Actor != "alice" || a.Postponed[0].Comment != "after the audit" {
		t.Fatalf("status approval while postponed: %+v", a)
	}
	if c := h.card(s.ID); c.State != cards.StateRequested {
		t.Fatalf("state after a postponement = %s", c.State)
	}
	s = h.statusOf("approve", "--card", s.ID, "--approver", "alice", "--comment", "audit done")
	if s.State != cards.StateApproved {
		t.Fatalf("state = %s", s.State)
	}
	if doc := inbox("alice"); doc.has(s.ID, "") {
		t.Fatalf("a decided card stays in the Inbox: %+v", doc)
	}
	ev := h.events(s.ID)
	if len(ev) != 4 || ev[1] != "requested->requested by alice: after the audit" || ev[2] != "requested->requested by alice: audit done" {
		t.Fatalf("events = %q", ev)
	}
}

type approvalsList struct {
	Approvals []struct {
		CardID         string `json:"cardId"`
		Operation      string `json:"operation"`
		PostponedByYou string `json:"postponedByYou"`
	} `json:"approvals"`
}

// has reports whether the list holds a request approval of card, marked
// postponed with comment (when not empty).
func (l approvalsList) has(card, comment string) bool {
	for _, a := range l.Approvals {
		if a.CardID == card && a.Operation == "request" && strings.Contains(a.PostponedByYou, comment) {
			return true
		}
	}
	return false
}

// A Deactivate waiting for approval is in the approver's Inbox (starter
// approvals) as a deactivation; `starter approve --card` finds its
// workflow from the approvals row, and the card becomes inactive.
func TestDeactivationApprovedFromTheInbox(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction(), func(h *harness) { h.policyPath = writePolicy(h.t, guardedPolicy()) })
	card := h.activeCard("guarded")
	if r := h.starter("deactivate", "--card", card.ID, "--operator", "olivia", "--comment", "on leave", "--json"); r.code != 0 {
		t.Fatalf("deactivate: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	r := h.starter("approvals", "--approver", "alice", "--json")
	var doc approvalsList
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 {
		t.Fatalf("approvals: exit %d, %v: %s %s", r.code, err, r.stdout, r.stderr)
	}
	found := false
	for _, a := range doc.Approvals {
		found = found || (a.CardID == card.ID && a.Operation == "deactivation")
	}
	if !found {
		t.Fatalf("alice's Inbox %+v lacks the deactivation", doc)
	}
	h.refusal(3, cards.ErrNotAllowed, "approve", "--card", card.ID, "--approver", "olivia")
	if r := h.starter("postpone", "--card", card.ID, "--approver", "alice", "--comment", "call the holder first"); r.code != 0 {
		t.Fatalf("postpone: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	// `starter status` shows the deactivation's approval, from PostgreSQL:
	// in the document and in the text.
	if a := h.statusOf("status", "--card", card.ID).Approval; a == nil || a.Operation != "deactivation" || a.ExpiresAt == nil ||
		len(a.Approvals) != 0 || len(a.Postponed) != 1 || a.Postponed[0].Actor != "alice" || a.Postponed[0].Comment != "call the holder first" {
		t.Fatalf("status approval of the waiting deactivation: %+v", a)
	}
	if r := h.starter("status", "--card", card.ID); r.code != 0 || !strings.Contains(r.stdout, "approval:    deactivation, 0 of 1") ||
		!strings.Contains(r.stdout, "by alice") || !strings.Contains(r.stdout, ": call the holder first") {
		t.Fatalf("status text of the waiting deactivation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := h.starter("approve", "--card", card.ID, "--approver", "alice", "--comment", "holder agrees"); r.code != 0 {
		t.Fatalf("approve: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		c := h.card(card.ID)
		return c.State == cards.StateInactive, "card " + string(c.State)
	})
	if a := h.statusOf("status", "--card", card.ID).Approval; a != nil {
		t.Fatalf("status of the deactivated card shows an open approval: %+v", a)
	}
	trail := strings.Join(h.events(card.ID), "\n")
	for _, want := range []string{"active->active by alice: call the holder first", "active->active by alice: holder agrees", "active->inactive"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit trail lacks %q:\n%s", want, trail)
		}
	}
}
