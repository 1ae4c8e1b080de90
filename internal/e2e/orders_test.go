package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/order"
)

// orderDoc runs an order command with --json and decodes the order
// document; it records the order's workflow for the replay histories.
func (h *harness) orderDoc(args ...string) store.OrderDocument {
	h.t.Helper()
	r := h.starter(append(args, "--json")...)
	if r.code != 0 {
		h.t.Fatalf("starter %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	var d store.OrderDocument
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		h.t.Fatalf("starter %v: stdout is not an order document: %v\n%s", args, err, r.stdout)
	}
	return d
}

// itemsBy indexes an order's items by user (request) or card (issue).
func itemsBy(d store.OrderDocument) map[string]store.OrderItemView {
	m := map[string]store.OrderItemView{}
	for _, it := range d.Items {
		key := it.CardID
		if d.Kind == store.OrderRequest {
			key = it.UserID
		}
		m[key] = it
	}
	return m
}

// TestRequestOrder: Request multiple cards from a users file with blank
// lines, comments and a duplicate: active users get a card approved at once
// (batchRequestApproval is false although standard cards need approval),
// an inactive, an unknown user and one with an open request are skipped
// with the reason; the bad inputs are refused with the rule.
func TestRequestOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	active := []string{h.user("active"), h.user("active"), h.user("active")}
	inactive := h.user("inactive")
	open := h.user("active")
	requested := h.request(open, "standard")
	file := filepath.Join(t.TempDir(), "users.txt")
	text := fmt.Sprintf("# new staff\n%s\n\n%s   # second\n%s\n%s\n%s\nnobody\n%s\n", active[0], active[1], active[2], inactive, open, active[0])
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.starter("order", "request", "--users-file", file, "--operator", "olivia", "--json")
	if r.code != 0 {
		t.Fatalf("order request: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "1 listed twice, ordered once: "+active[0]) {
		t.Errorf("the duplicate is not named: %s", r.stderr)
	}
	var d store.OrderDocument
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatal(err)
	}
	h.workflowIDs = append(h.workflowIDs, order.WorkflowID(d.ID))
	if d.State != store.OrderCompleted || d.Kind != store.OrderRequest || d.CreatedBy != "olivia" {
		t.Fatalf("order %+v", d)
	}
	if want := (store.OrderCounts{Total: 6, Done: 3, Skipped: 3}); d.Counts != want {
		t.Fatalf("counts %+v, want %+v", d.Counts, want)
	}
	items := itemsBy(d)
	for _, u := range active {
		it := items[u]
		if it.State != store.ItemDone || it.CardID == "" {
			t.Errorf("user %s: %+v", u, it)
			continue
		}
		if c := h.card(it.CardID); c.State != cards.StateApproved || c.UserID != u || c.CardType != "standard" {
			t.Errorf("card of %s: %s %s %s, want an approved standard card", u, c.State, c.UserID, c.CardType)
		}
		// standard has an approval step: the audit trail says why the card
		// was approved at once.
		if ev := h.events(it.CardID); len(ev) != 1 || ev[0] != "->approved by olivia: requested in batch order "+d.ID+"; approved at once (batchRequestApproval: false)" {
			t.Errorf("audit trail of %s's card: %q", u, ev)
		}
	}
	for user, want := range map[string]string{inactive: "is inactive", "nobody": "not in the directory", open: "already has an open request: card " + requested.ID} {
		if it := items[user]; it.State != store.ItemSkipped || !strings.Contains(it.Reason, want) {
			t.Errorf("user %s: %+v, want skipped: %s", user, it, want)
		}
	}
	// Running it again gives nobody a second card: each now has an open one.
	again := h.orderDoc("order", "request", "--users", strings.Join(active, ","), "--operator", "olivia")
	if again.Counts.Skipped != 3 {
		t.Errorf("second order: %+v, want every user skipped", again.Counts)
	}
	for _, u := range active {
		if n := h.countCards(u); n != 1 {
			t.Errorf("user %s has %d cards", u, n)
		}
	}

	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, []byte("# nobody yet\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if msg := h.refusal(2, "BadUsage", "order", "request", "--users-file", empty); !strings.Contains(msg, "empty") || !strings.Contains(msg, "10000") {
		t.Errorf("empty list: %s", msg)
	}
	many := make([]string, limits.MaxOrderItems+1)
	for i := range many {
		many[i] = fmt.Sprintf("x%d", i)
	}
	if msg := h.refusal(2, "BadUsage", "order", "request", "--users", strings.Join(many, ",")); !strings.Contains(msg, "at most 10000") {
		t.Errorf("oversized list: %s", msg)
	}
	if msg := h.refusal(3, "InvalidState", "order", "complete", "--order", d.ID); !strings.Contains(msg, "already completed") {
		t.Errorf("complete of a completed order: %s", msg)
	}
	if msg := h.refusal(3, "NotFound", "order", "status", "--order", uuid.NewString()); !strings.Contains(msg, "no order") {
		t.Errorf("unknown order: %s", msg)
	}
	list := h.starter("order", "list")
	if list.code != 0 || !strings.Contains(list.stdout, d.ID) || !strings.Contains(list.stdout, again.ID) {
		t.Errorf("order list: %d\n%s", list.code, list.stdout)
	}
}

// TestRequestOrderSurvivesTheWorker: the worker stops mid-order and comes
// back; the order resumes (across continue-as-new) and every user gets
// exactly one card, every item ends once.
func TestRequestOrderSurvivesTheWorker(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	users := make([]string, 40)
	for i := range users {
		users[i] = h.user("active")
	}
	r := h.starter("order", "request", "--users", strings.Join(users, ","), "--operator", "olivia", "--window", "5", "--no-wait", "--json")
	if r.code != 0 {
		t.Fatalf("order request: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var started struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &started); err != nil {
		t.Fatal(err)
	}
	h.workflowIDs = append(h.workflowIDs, order.WorkflowID(started.ID))
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		o, err := h.store.Order(context.Background(), started.ID)
		return err == nil && o.Done >= 5, fmt.Sprintf("%+v %v", o.OrderCounts, err)
	})
	h.stopWorker()
	time.Sleep(2 * time.Second) // the order is stranded a moment, as after a crash
	h.startWorker()
	d := h.orderDoc("order", "status", "--order", started.ID)
	testkit.Eventually(t, 90*time.Second, func() (bool, string) {
		d = h.orderDoc("order", "status", "--order", started.ID)
		return d.State == store.OrderCompleted, fmt.Sprintf("%s %+v", d.State, d.Counts)
	})
	if want := (store.OrderCounts{Total: 40, Done: 40}); d.Counts != want {
		t.Fatalf("counts %+v, want %+v", d.Counts, want)
	}
	for _, u := range users {
		if n := h.countCards(u); n != 1 {
			t.Errorf("user %s has %d cards", u, n)
		}
	}
}

// TestIssueOrder: Issue multiple cards with a card not ready and an unknown
// one skipped; the station stops mid-order, so the cards after it fail;
// repeat on another station produces exactly those, each card issued once.
// A second order fails at a missing station and is completed: its failed
// card stays failed, and a second complete or a repeat is refused.
func TestIssueOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	ready := make([]string, 4)
	for i := range ready {
		ready[i] = h.approvedCard("quick").ID
	}
	notReady := h.request(h.user("active"), "standard").ID
	unknown := uuid.NewString()
	list := append(append([]string{}, ready...), notReady, unknown)
	r := h.starter("order", "issue", "--cards", strings.Join(list, ","), "--station", h.prod.station.ID, "--operator", "olivia", "--window", "1", "--no-wait", "--json")
	if r.code != 0 {
		t.Fatalf("order issue: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var started struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &started); err != nil {
		t.Fatal(err)
	}
	id := started.ID
	h.workflowIDs = append(h.workflowIDs, order.WorkflowID(id))
	// The first card is issued: the station goes away (the job in hand,
	// if any, finishes); the cards after it find no station.
	testkit.Eventually(t, 60*time.Second, func() (bool, string) {
		c, err := h.store.Card(context.Background(), ready[0])
		return err == nil && c.State == cards.StateIssued, fmt.Sprintf("%s %v", c.State, err)
	})
	h.prod.station.Stop()
	d := h.orderDoc("order", "status", "--order", id)
	testkit.Eventually(t, 90*time.Second, func() (bool, string) {
		d = h.orderDoc("order", "status", "--order", id)
		return d.State == store.OrderWaiting, fmt.Sprintf("%s %+v", d.State, d.Counts)
	})
	t.Logf("station stopped mid-order: %+v", d.Counts)
	if d.Counts.Failed == 0 || d.Counts.Skipped != 2 || d.Counts.Done+d.Counts.Failed != 4 {
		t.Fatalf("counts %+v: want the station's failures and the two skipped", d.Counts)
	}
	items := itemsBy(d)
	if it := items[notReady]; it.State != store.ItemSkipped || !strings.Contains(it.Reason, "requested") {
		t.Errorf("card not ready: %+v", it)
	}
	if it := items[unknown]; it.State != store.ItemSkipped || !strings.Contains(it.Reason, "does not exist") {
		t.Errorf("unknown card: %+v", it)
	}
	var failed []string
	for _, c := range ready {
		if it := items[c]; it.State == store.ItemFailed {
			failed = append(failed, c)
			if it.Reason == "" {
				t.Errorf("failed item without a reason: %+v", it)
			}
			if s := h.card(c).State; s != cards.StateFailed {
				t.Errorf("card %s is %s, want failed", c, s)
			}
		}
	}
	if msg := h.refusal(3, "NotFound", "order", "repeat", "--order", uuid.NewString()); msg == "" {
		t.Error("repeat of an unknown order")
	}

	other := h.startStation(h.stationID() + "-b")
	repeated := h.orderDoc("order", "repeat", "--order", id, "--station", other.ID, "--operator", "olivia")
	if repeated.State != store.OrderCompleted || repeated.Counts.Done != 4 || repeated.Counts.Failed != 0 || repeated.Round != 1 {
		t.Fatalf("after repeat: %s round %d %+v", repeated.State, repeated.Round, repeated.Counts)
	}
	for _, c := range ready {
		var issues int
		if err := h.store.DB.Get(&issues, `SELECT count(*) FROM card_events WHERE card_id = $1 AND event = 'issue'`, c); err != nil {
			t.Fatal(err)
		}
		if issues != 1 || h.card(c).State != cards.StateIssued {
			t.Errorf("card %s: issued %d times, state %s", c, issues, h.card(c).State)
		}
	}
	for _, c := range failed {
		if st := h.card(c).Station; st != other.ID {
			t.Errorf("repeated card %s produced at %q, want %s", c, st, other.ID)
		}
	}

	// A card failing at a missing station, then Complete order.
	lost := h.approvedCard("quick").ID
	waiting := h.orderDoc("order", "issue", "--cards", lost, "--station", "nowhere", "--operator", "olivia")
	h.workflowIDs = append(h.workflowIDs, order.WorkflowID(waiting.ID))
	if waiting.State != store.OrderWaiting || waiting.Counts.Failed != 1 || !strings.Contains(waiting.Items[0].Reason, "nowhere") {
		t.Fatalf("order at a missing station: %s %+v %+v", waiting.State, waiting.Counts, waiting.Items)
	}
	if msg := h.refusal(2, "BadUsage", "order", "repeat", "--order", "nope"); !strings.Contains(msg, "UUID") {
		t.Errorf("bad order id: %s", msg)
	}
	done := h.orderDoc("order", "complete", "--order", waiting.ID, "--operator", "olivia")
	if done.State != store.OrderCompleted || done.Counts.Failed != 1 || h.card(lost).State != cards.StateFailed {
		t.Fatalf("completed: %s %+v, card %s", done.State, done.Counts, h.card(lost).State)
	}
	if msg := h.refusal(3, "InvalidState", "order", "complete", "--order", waiting.ID); !strings.Contains(msg, "already completed") {
		t.Errorf("second complete: %s", msg)
	}
	if msg := h.refusal(3, "InvalidState", "order", "repeat", "--order", waiting.ID); !strings.Contains(msg, "already completed") {
		t.Errorf("repeat of a completed order: %s", msg)
	}
}
