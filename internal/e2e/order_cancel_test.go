package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/order"
)

// cancelledReason is what the Order workflow gives the items a cancel
// skips (order.cancel).
const cancelledReason = "the order was cancelled before this item started"

// activeUsers puts n active users in the directory, straight into the
// store (h.user runs the starter once per user).
func (h *harness) activeUsers(n int) []string {
	h.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		id := fmt.Sprintf("u%d", userSeq.Add(1))
		if err := h.store.UpsertUser(context.Background(), cards.User{ID: id, GivenName: "Given" + id, Surname: "Surname" + id,
			UPN: id + "@example.com", Email: id + "@mail.example.com", State: "active"}); err != nil {
			h.t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// startOrder runs `starter order ... --no-wait --json` and returns the
// order's id, recording its workflow for the replay histories.
func (h *harness) startOrder(args ...string) string {
	h.t.Helper()
	r := h.starter(append(args, "--no-wait", "--json")...)
	if r.code != 0 {
		h.t.Fatalf("starter %v: exit %d\n%s\n%s", args, r.code, r.stdout, r.stderr)
	}
	var started struct{ ID string }
	if err := json.Unmarshal([]byte(r.stdout), &started); err != nil {
		h.t.Fatal(err)
	}
	h.workflowIDs = append(h.workflowIDs, order.WorkflowID(started.ID))
	return started.ID
}

// cancelOrder cancels the order's workflow from Temporal (as `temporal
// workflow cancel` does) and returns the document the workflow ends with.
func (h *harness) cancelOrder(id string) order.Document {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := h.client.CancelWorkflow(ctx, order.WorkflowID(id), ""); err != nil {
		h.t.Fatalf("cancel order %s: %v", id, err)
	}
	var doc order.Document
	if err := h.client.GetWorkflow(ctx, order.WorkflowID(id), "").Get(ctx, &doc); err != nil {
		h.t.Fatalf("order %s after the cancel: %v", id, err)
	}
	return doc
}

// requireCancelled checks a cancelled order's document as `starter order
// status` shows it: state cancelled, nothing running, the counts adding
// up, the items not started skipped with the reason; it returns the done
// and skipped items.
func requireCancelled(t *testing.T, d store.OrderDocument, total int) (done, skipped []store.OrderItemView) {
	t.Helper()
	if d.State != store.OrderCancelled {
		t.Fatalf("order %s is %s, want cancelled (%+v)", d.ID, d.State, d.Counts)
	}
	if len(d.Items) != total || d.Counts.Total != total {
		t.Fatalf("order %s: %d items, counts %+v, want %d", d.ID, len(d.Items), d.Counts, total)
	}
	for _, it := range d.Items {
		switch it.State {
		case store.ItemDone:
			done = append(done, it)
		case store.ItemSkipped:
			skipped = append(skipped, it)
			if it.Reason != cancelledReason {
				t.Errorf("skipped item %+v: want the reason %q", it, cancelledReason)
			}
		default:
			t.Errorf("item %+v after the cancel: want done, or skipped as not started", it)
		}
	}
	if want := (store.OrderCounts{Total: total, Done: len(done), Skipped: len(skipped)}); d.Counts != want {
		t.Errorf("counts %+v, want %+v (from the items)", d.Counts, want)
	}
	if len(skipped) == 0 {
		t.Errorf("the cancel skipped nothing: the order ended before it (%+v)", d.Counts)
	}
	return done, skipped
}

// TestCancelRequestOrder: a request order of 300 users, five at a time, is
// cancelled from Temporal (client.CancelWorkflow) once 110 are done (past
// its first page of 100 items: its history shows the next page fetched
// while the window ran, which the replay tests rely on). The requests
// running finish; the users not yet started are skipped with the reason
// and get no card; every user that is done has exactly one card; the
// order is cancelled, with counts that add up, in `starter order status`
// and in what the workflow returns.
func TestCancelRequestOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const total = 300
	users := h.activeUsers(total)
	id := h.startOrder("order", "request", "--users", strings.Join(users, ","), "--operator", "olivia", "--window", "5")
	testkit.Eventually(t, 120*time.Second, func() (bool, string) {
		o, err := h.store.Order(context.Background(), id)
		return err == nil && o.Done >= 110, fmt.Sprintf("%+v %v", o.OrderCounts, err)
	})
	wf := h.cancelOrder(id)

	d := h.orderDoc("order", "status", "--order", id)
	t.Logf("cancelled: %+v; the workflow's document %+v", d.Counts, wf)
	if wf.State != store.OrderCancelled || wf.Counts != d.Counts {
		t.Errorf("the workflow ended %s %+v, the store shows %s %+v", wf.State, wf.Counts, d.State, d.Counts)
	}
	done, skipped := requireCancelled(t, d, total)
	for _, it := range done {
		if n := h.countCards(it.UserID); n != 1 {
			t.Errorf("done user %s has %d cards, want 1", it.UserID, n)
		}
		if c := h.card(it.CardID); c.State != cards.StateApproved || c.UserID != it.UserID {
			t.Errorf("card of done user %s: %s of %s, want approved", it.UserID, c.State, c.UserID)
		}
	}
	for _, it := range skipped {
		if n := h.countCards(it.UserID); n != 0 {
			t.Errorf("skipped user %s has %d cards, want none", it.UserID, n)
		}
	}
	text := h.starter("order", "status", "--order", id)
	if text.code != 0 || !strings.Contains(text.stdout, "is cancelled") || !strings.Contains(text.stdout, fmt.Sprintf("skipped %d", len(skipped))) {
		t.Errorf("order status: exit %d\n%s", text.code, text.stdout)
	}
	if msg := h.refusal(3, "InvalidState", "order", "complete", "--order", id); !strings.Contains(msg, "cancelled") {
		t.Errorf("complete of a cancelled order: %s", msg)
	}
}

// TestCancelIssueOrder: an issue order of five cards, one at a time, is
// cancelled from Temporal while the first card is at the station. Its
// production is not cut short: the card ends issued and its item done; the
// cards not started are skipped with the reason and stay approved,
// never produced; the order is cancelled.
func TestCancelIssueOrder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	ids := make([]string, 5)
	for i := range ids {
		ids[i] = h.approvedCard("quick").ID
	}
	id := h.startOrder("order", "issue", "--cards", strings.Join(ids, ","), "--station", h.prod.station.ID, "--operator", "olivia", "--window", "1")
	h.waitForOperation(ids[0])
	wf := h.cancelOrder(id)

	d := h.orderDoc("order", "status", "--order", id)
	t.Logf("cancelled: %+v; the workflow's document %+v", d.Counts, wf)
	if wf.State != store.OrderCancelled || wf.Counts != d.Counts {
		t.Errorf("the workflow ended %s %+v, the store shows %s %+v", wf.State, wf.Counts, d.State, d.Counts)
	}
	done, skipped := requireCancelled(t, d, len(ids))
	if first := itemsBy(d)[ids[0]]; first.State != store.ItemDone {
		t.Errorf("the card at the station when the order was cancelled: %+v, want done", first)
	}
	for _, it := range done {
		var issues int
		if err := h.store.DB.Get(&issues, `SELECT count(*) FROM card_events WHERE card_id = $1 AND event = 'issue'`, it.CardID); err != nil {
			t.Fatal(err)
		}
		if c := h.card(it.CardID); c.State != cards.StateIssued || issues != 1 {
			t.Errorf("done card %s: %s, issued %d times; want issued once", it.CardID, c.State, issues)
		}
	}
	for _, it := range skipped {
		if c := h.card(it.CardID); c.State != cards.StateApproved || c.CardNumber != "" {
			t.Errorf("skipped card %s: %s, number %q; want approved, never produced", it.CardID, c.State, c.CardNumber)
		}
	}
}
