package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/order"
)

// fakeUpdate is one Repeat production or Complete order sent.
type fakeUpdate struct {
	OrderID, Name string
	Arg           any
}

// StartOrder records the order and writes its rows, as the workflow's
// first step does (items pending; request orders' items get card ids).
func (f *fakeCards) StartOrder(ctx context.Context, in order.Input, _ string) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders = append(f.orders, in)
	if f.orderErr != nil {
		return nil, f.orderErr
	}
	var items []store.NewOrderItem
	for _, u := range in.Users {
		items = append(items, store.NewOrderItem{UserID: u, CardID: uuid.NewString(), State: store.ItemPending})
	}
	for _, c := range in.Cards {
		items = append(items, store.NewOrderItem{CardID: c, State: store.ItemPending})
	}
	_, _, err := f.store.CreateOrder(ctx, store.Order{ID: in.OrderID, Kind: in.Kind, CreatedBy: in.Operator, CreatedAt: time.Now(),
		CardType: in.CardType, Station: in.Station, WorkflowID: order.WorkflowID(in.OrderID)}, items)
	return nil, err
}

// UpdateOrder records the update and answers updateErr or a result.
func (f *fakeCards) UpdateOrder(_ context.Context, orderID, name string, arg, result any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, fakeUpdate{OrderID: orderID, Name: name, Arg: arg})
	if f.updateErr != nil {
		return f.updateErr
	}
	switch r := result.(type) {
	case *order.RepeatResult:
		*r = f.repeatReply
	case *order.Document:
		*r = order.Document{ID: orderID, State: store.OrderCompleted, Counts: store.OrderCounts{Total: 3, Done: 2, Failed: 1}}
	}
	return nil
}

func (f *fakeCards) startedOrders() []order.Input {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]order.Input(nil), f.orders...)
}

func (f *fakeCards) sentUpdates() []fakeUpdate {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeUpdate(nil), f.updates...)
}

// orderOf writes an order of kind with the items' states (seq 1, 2, ...)
// in state, created at, as the workflow would have left it.
func (w *world) orderOf(kind, state string, at time.Time, states ...string) string {
	w.t.Helper()
	ctx := context.Background()
	id := uuid.NewString()
	var items []store.NewOrderItem
	for i := range states {
		items = append(items, store.NewOrderItem{UserID: fmt.Sprintf("p%02d", i), CardID: uuid.NewString(), State: store.ItemPending})
	}
	if _, _, err := w.store.CreateOrder(ctx, store.Order{ID: id, Kind: kind, CreatedBy: "olivia", CreatedAt: at, WorkflowID: order.WorkflowID(id)}, items); err != nil {
		w.t.Fatal(err)
	}
	var ended []store.ItemEnd
	for i, st := range states {
		if st != store.ItemPending {
			reason := ""
			if st == store.ItemFailed {
				reason = "the station's printer jammed"
			}
			if st == store.ItemSkipped {
				reason = "card is requested"
			}
			ended = append(ended, store.ItemEnd{Seq: i + 1, State: st, Reason: reason})
		}
	}
	if _, err := w.store.RecordOrderProgress(ctx, id, store.OrderProgress{Ended: ended, At: at}); err != nil {
		w.t.Fatal(err)
	}
	if state != store.OrderRunning {
		if _, err := w.store.SetOrderState(ctx, id, state, at); err != nil {
			w.t.Fatal(err)
		}
	}
	return id
}

func repeat(n int, s string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestBatchOrdersAreForOperatorsOnly(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	id := w.orderOf(store.OrderIssue, store.OrderWaiting, time.Now(), store.ItemDone, store.ItemFailed)

	olivia := w.as("olivia")
	p := olivia.get("/inbox")
	p.has(t, `<a href="/orders"`)
	p = olivia.get("/orders")
	if p.status != http.StatusOK {
		t.Fatalf("operator: /orders %d", p.status)
	}
	p.has(t, "Request multiple cards", "Issue multiple cards", "/orders/"+id)

	for _, who := range []string{"carol", "alice", "dave"} {
		b := w.as(who)
		b.get("/inbox").lacks(t, `<a href="/orders"`)
		for _, path := range []string{"/orders", "/orders/" + id, "/orders/request?q=p"} {
			if p := b.get(path); p.status != http.StatusForbidden {
				t.Errorf("%s: GET %s %d, want 403", who, path, p.status)
			} else if who != "dave" { // an inactive user is stopped before any page
				p.has(t, "Batch orders are for operators")
			}
		}
		for _, path := range []string{"/orders/" + id + "/repeat", "/orders/" + id + "/complete", "/orders/issue", "/orders/request"} {
			if p := b.post(path, url.Values{"card": {uuid.NewString()}, "user": {"carol"}, "card_type": {"standard"}}); p.status != http.StatusForbidden {
				t.Errorf("%s: POST %s %d, want 403", who, path, p.status)
			}
		}
	}
	if n := len(w.cards.sentUpdates()) + len(w.cards.startedOrders()); n != 0 {
		t.Fatalf("%d orders or updates reached the workflow from non-operators", n)
	}
}

func TestBatchOrdersListNewestFirstPaged(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	t0 := time.Now().Add(-time.Hour)
	var ids []string
	for i := range ordersListSize + 2 {
		ids = append(ids, w.orderOf(store.OrderRequest, store.OrderCompleted, t0.Add(time.Duration(i)*time.Minute), store.ItemDone, store.ItemSkipped))
	}
	running := w.orderOf(store.OrderIssue, store.OrderRunning, t0.Add(time.Hour-time.Second), store.ItemDone, store.ItemFailed, store.ItemPending, store.ItemPending)
	olivia := w.as("olivia")

	p := olivia.get("/orders")
	p.has(t, running[:8], ids[len(ids)-1][:8], "Next page")
	p.lacks(t, ids[0][:8], ids[1][:8], ids[2][:8])
	if strings.Index(p.body, running[:8]) > strings.Index(p.body, ids[len(ids)-1][:8]) {
		t.Error("the newest order is not first")
	}
	// The running order's counts: total 4, done 1, failed 1, skipped 0, running 2.
	p.has(t, "<td>4</td><td>1</td><td>1</td><td>0</td><td>2</td>")

	next := between(p.body, `<a href="/orders?after=`, `"`)
	p = olivia.get("/orders?after=" + htmlUnescape(next))
	if p.status != http.StatusOK {
		t.Fatalf("next page %d", p.status)
	}
	p.has(t, ids[0][:8], ids[1][:8], ids[2][:8], "First page")
	p.lacks(t, running[:8], "Next page")

	p = olivia.get("/orders?state=running")
	p.has(t, running[:8])
	p.lacks(t, ids[0][:8])
	olivia.get("/orders?state=bogus").has(t, "is not an order state")
	olivia.get("/orders?after=nonsense").has(t, "not a page of the order list")
}

func TestOrderPageItemsAndPolling(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	states := append(append(repeat(55, store.ItemDone), store.ItemFailed, store.ItemSkipped), repeat(3, store.ItemPending)...)
	id := w.orderOf(store.OrderIssue, store.OrderRunning, time.Now(), states...)
	olivia := w.as("olivia")

	p := olivia.get("/orders/" + id)
	if p.status != http.StatusOK {
		t.Fatalf("order page %d", p.status)
	}
	p.has(t, "Issue multiple cards", "57 of 60 tried", "hx-get=\"/orders/"+id+"/live?state=running%2F0\"", "Next page")
	p.lacks(t, ">Repeat production</button>", ">Complete order</button>", "the station&#39;s printer jammed")

	p = olivia.get("/orders/" + id + "?item=failed")
	p.has(t, "the station&#39;s printer jammed", "<td>56</td>")
	p.lacks(t, "Next page", "<td>1</td><td>p00")
	olivia.get("/orders/"+id+"?after=50").has(t, "card is requested", "First page")
	olivia.get("/orders/"+id+"?item=weird").has(t, "is not an item state")

	// The live fragment: no refresh while the key holds, HX-Refresh once
	// the order moved on.
	live := olivia.get("/orders/" + id + "/live?state=running%2F0")
	if live.header.Get("HX-Refresh") != "" || strings.Contains(live.body, "<html") {
		t.Fatalf("live fragment: refresh %q", live.header.Get("HX-Refresh"))
	}
	if _, err := w.store.SetOrderState(context.Background(), id, store.OrderWaiting, time.Now()); err != nil {
		t.Fatal(err)
	}
	if live = olivia.get("/orders/" + id + "/live?state=running%2F0"); live.header.Get("HX-Refresh") != "true" {
		t.Fatal("no HX-Refresh once the order waits")
	}
	p = olivia.get("/orders/" + id)
	p.has(t, ">Repeat production</button>", ">Complete order</button>", "The order waits for you")
	p.lacks(t, "hx-get=\"/orders/"+id+"/live")

	// A waiting request order, or a completed one, offers nothing.
	done := w.orderOf(store.OrderIssue, store.OrderCompleted, time.Now(), store.ItemDone, store.ItemFailed)
	olivia.get("/orders/"+done).lacks(t, ">Repeat production</button>", ">Complete order</button>")

	if p := olivia.get("/orders/not-an-id"); p.status != http.StatusNotFound {
		t.Errorf("bad id %d", p.status)
	}
	if p := olivia.get("/orders/" + uuid.NewString()); p.status != http.StatusNotFound {
		t.Errorf("unknown order %d", p.status)
	} else {
		p.has(t, "No such order")
	}
}

func TestRepeatAndCompleteOrder(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	id := w.orderOf(store.OrderIssue, store.OrderWaiting, time.Now(), store.ItemDone, store.ItemFailed, store.ItemFailed)
	olivia := w.as("olivia")

	w.cards.repeatReply = order.RepeatResult{Round: 1, Repeated: 2}
	p := olivia.post("/orders/"+id+"/repeat", url.Values{"station": {"station-9"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/orders/"+id {
		t.Fatalf("repeat: %d to %q", p.status, p.header.Get("Location"))
	}
	olivia.get("/orders/"+id).has(t, "Round 1 repeats the production of 2 failed cards at print station station-9")
	ups := w.cards.sentUpdates()
	if len(ups) != 1 || ups[0].Name != order.RepeatUpdate || ups[0].Arg != (order.RepeatInput{Operator: "olivia", Station: "station-9"}) {
		t.Fatalf("updates %+v", ups)
	}

	// The workflow's refusal inline, the station typed kept.
	w.cards.updateErr = temporal.NewNonRetryableApplicationError("order "+id+" is already being repeated or completed; try again in a moment", cards.ErrInvalidState, nil)
	p = olivia.post("/orders/"+id+"/repeat", url.Values{"station": {"station-7"}})
	if p.status != http.StatusConflict {
		t.Fatalf("refused repeat %d", p.status)
	}
	p.has(t, "Not possible now", "already being repeated or completed", `value="station-7"`, ">Repeat production</button>")

	// Bad input: nothing reaches the workflow.
	before := len(w.cards.sentUpdates())
	p = olivia.post("/orders/"+id+"/repeat", url.Values{"station": {strings.Repeat("s", limits.MaxIdentifier+1)}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("long station %d", p.status)
	}
	p.has(t, "Station:")
	if len(w.cards.sentUpdates()) != before {
		t.Fatal("a bad station reached the workflow")
	}

	// Complete, then a workflow that has ended.
	w.cards.updateErr = nil
	p = olivia.post("/orders/"+id+"/complete", nil)
	if p.status != http.StatusSeeOther {
		t.Fatalf("complete %d", p.status)
	}
	olivia.get("/orders/"+id).has(t, "You completed the order: 2 cards done, 1 failed")
	w.cards.updateErr = cardops.ErrOrderClosed
	olivia.post("/orders/"+id+"/complete", nil).has(t, "already waiting") // the store still says waiting

	// A completed order, or a waiting one with nothing failed, is answered
	// from PostgreSQL.
	if _, err := w.store.SetOrderState(context.Background(), id, store.OrderCompleted, time.Now()); err != nil {
		t.Fatal(err)
	}
	before = len(w.cards.sentUpdates())
	p = olivia.post("/orders/"+id+"/complete", nil)
	if p.status != http.StatusConflict {
		t.Fatalf("second complete %d", p.status)
	}
	p.has(t, "already completed; nothing to complete")
	olivia.post("/orders/"+id+"/repeat", nil).has(t, "already completed; nothing to repeat")
	clean := w.orderOf(store.OrderIssue, store.OrderWaiting, time.Now(), store.ItemDone, store.ItemSkipped)
	olivia.post("/orders/"+clean+"/repeat", nil).has(t, "no failed cards to repeat")
	if len(w.cards.sentUpdates()) != before {
		t.Fatal("an update the store refuses reached the workflow")
	}
}

func TestRequestMultipleCards(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	people := w.people(12)
	olivia := w.as("olivia")

	p := olivia.get("/orders/request?q=p")
	p.has(t, `name="user" value="p00"`, `name="user" value="p11"`, ">Request multiple cards</button>", `name="order_id"`)
	orderID := between(p.body, `name="order_id" value="`, `"`)

	form := url.Values{"user": {people[0], people[1], people[1], people[2]}, "card_type": {"kiosk"}, "q": {"p"}, "order_id": {orderID}}
	p = olivia.post("/orders/request", form)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/orders/"+orderID {
		t.Fatalf("request order: %d to %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	started := w.cards.startedOrders()
	if len(started) != 1 || started[0].Kind != order.KindRequest || started[0].Operator != "olivia" || started[0].CardType != "kiosk" ||
		strings.Join(started[0].Users, ",") != "p00,p01,p02" {
		t.Fatalf("started %+v", started)
	}
	olivia.get("/orders/"+orderID).has(t, "Order started: 3 users", "Request multiple cards", "<td>p02</td>")

	// Bad input: nothing started, the ticks kept.
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"card_type": {"kiosk"}, "q": {"p"}}, "none ticked"},
		{url.Values{"user": {"p00"}, "card_type": {"nope"}, "q": {"p"}}, "There is no card type"},
		{url.Values{"user": {"p03", "bad\x01id"}, "card_type": {"kiosk"}, "q": {"p"}}, "Users:"},
	} {
		p := olivia.post("/orders/request", c.form)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d", c.form, p.status)
		}
		p.has(t, c.want)
	}
	olivia.post("/orders/request", url.Values{"user": {"p03", "bad\x01id"}, "card_type": {"kiosk"}, "q": {"p"}}).has(t, `value="p03" id="user-p03" aria-label="Request a card for p03" checked`)
	if len(w.cards.startedOrders()) != 1 {
		t.Fatal("bad input started an order")
	}

	// The workflow's refusal is shown on the form.
	w.cards.orderErr = temporal.NewNonRetryableApplicationError("operator olivia is not active", cards.ErrNotAllowed, nil)
	p = olivia.post("/orders/request", url.Values{"user": {"p04"}, "card_type": {"kiosk"}, "q": {"p"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("refused order %d", p.status)
	}
	p.has(t, "Not allowed", "Operator olivia is not active")
}

func TestIssueMultipleCardsFromTheCardList(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	a := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	b := w.cardIn("standard", cardAfter{state: cards.StateApproved})
	olivia := w.as("olivia")

	p := olivia.get("/cards?state=approved")
	p.has(t, `name="card" value="`+a+`"`, ">Issue multiple cards</button>", `action="/orders/issue"`)
	olivia.get("/cards?state=requested").lacks(t, `name="card"`)
	olivia.get("/cards").lacks(t, `name="card"`)
	w.as("carol").get("/cards?state=approved").lacks(t, `name="card"`)
	orderID := between(p.body, `name="order_id" value="`, `"`)

	p = olivia.post("/orders/issue", url.Values{"card": {a, b}, "station": {"station-2"}, "order_id": {orderID}, "from_state": {"approved"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/orders/"+orderID {
		t.Fatalf("issue order: %d to %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	started := w.cards.startedOrders()
	if len(started) != 1 || started[0].Kind != order.KindIssue || started[0].Station != "station-2" || strings.Join(started[0].Cards, ",") != a+","+b {
		t.Fatalf("started %+v", started)
	}
	olivia.get("/orders/"+orderID).has(t, "Order started: 2 cards", "Issue multiple cards", "station-2")

	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"station": {"station-2"}}, "none ticked"},
		{url.Values{"card": {a, "not-a-card"}}, "card ids (UUIDs) only"},
		{url.Values{"card": {a}, "station": {"st ation"}}, "Station:"},
	} {
		p := olivia.post("/orders/issue", c.form)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d", c.form, p.status)
		}
		p.has(t, c.want, `href="/cards?state=approved"`)
	}
	if len(w.cards.startedOrders()) != 1 {
		t.Fatal("bad input started an order")
	}
}

// The list's size rule, beyond what a console form can carry (the form
// limit refuses it earlier): MaxOrderItems, said with the limit.
func TestTickedListLimit(t *testing.T) {
	many := make([]string, limits.MaxOrderItems+1)
	for i := range many {
		many[i] = fmt.Sprintf("u%05d", i)
	}
	_, err := tickedList("Users", many, nil)
	if err == nil || !strings.Contains(err.Error(), "at most 10000") {
		t.Fatalf("oversized list: %v", err)
	}
	ids, err := tickedList("Users", many[:limits.MaxOrderItems], nil)
	if err != nil || len(ids) != limits.MaxOrderItems {
		t.Fatalf("full list: %d, %v", len(ids), err)
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

func htmlUnescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }
