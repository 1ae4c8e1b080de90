package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/order"
)

// orderItemsSize is how many items one page of an order shows.
const orderItemsSize = 50

// itemStates are the item states the order page filters by.
var itemStates = []string{store.ItemPending, store.ItemRunning, store.ItemDone, store.ItemFailed, store.ItemSkipped}

// orderView is the order page: the order's document (its counts from the
// orders row, its items a page at a time by seq, optionally of one state)
// and, when the order waits, Repeat production and Complete order.
type orderView struct {
	Order store.Order
	Items []store.OrderItem
	// ItemState filters the items; After is the seq the page starts
	// after; NextURL the following page ("" on the last), FirstURL the
	// first with the same filter.
	ItemState  string
	ItemStates []string
	After      int
	NextURL    string
	FirstURL   string
	// Operator says the signed-in user may repeat or complete the order
	// (the buttons show when it also waits).
	Operator bool
	Stations []string
	// Refusal is the workflow's answer to Repeat or Complete, shown inline
	// with the station typed kept.
	Refusal *refusal
	Station string
	Problem string
}

func (v orderView) pageTitle() string { return "Order " + shortID(v.Order.ID) }

// Live says the page refreshes itself: the order's items are still being
// tried.
func (v orderView) Live() bool { return v.Order.State == store.OrderRunning }

// LiveKey is what the polling fragment compares to know that the order
// moved on (waiting, completed, a new round): then the whole page reloads,
// so that its buttons change too.
func (v orderView) LiveKey() string { return v.Order.State + "/" + strconv.Itoa(v.Order.Round) }

// Actions says Repeat production and Complete order are shown.
func (v orderView) Actions() bool {
	return v.Operator && v.Order.Kind == store.OrderIssue && v.Order.State == store.OrderWaiting
}

// Tried is how many items ended (done, failed or skipped).
func (v orderView) Tried() int { return v.Order.Done + v.Order.Failed + v.Order.Skipped }

// Percent is how much of the order is tried, for the progress bar.
func (v orderView) Percent() int {
	if v.Order.Total == 0 {
		return 100
	}
	return v.Tried() * 100 / v.Order.Total
}

// LiveURL is the polled fragment's address: the same items page.
func (v orderView) LiveURL() string {
	q := v.query()
	q.Set("state", v.LiveKey())
	return "/orders/" + v.Order.ID + "/live?" + q.Encode()
}

func (v orderView) query() url.Values {
	q := url.Values{}
	if v.ItemState != "" {
		q.Set("item", v.ItemState)
	}
	if v.After > 0 {
		q.Set("after", strconv.Itoa(v.After))
	}
	return q
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func (s *Server) orderPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadOrder(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "order", v)
}

// orderLive is the part of the order page that htmx polls while the order
// runs: the counts and the items page. Once the order waits or completes
// (or starts a new round) the whole page reloads.
func (s *Server) orderLive(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadOrder(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("state") != v.LiveKey() {
		w.Header().Set("HX-Refresh", "true")
	}
	s.fragment(w, http.StatusOK, "order", "order-live", v)
}

// loadOrder reads the order of the path and the asked page of its items
// for an operator, or answers with a page that says why not.
func (s *Server) loadOrder(w http.ResponseWriter, r *http.Request) (orderView, bool) {
	if !s.operatorOnly(w, r) {
		return orderView{}, false
	}
	id := strings.TrimSpace(r.PathValue("id"))
	if _, err := uuid.Parse(id); err != nil {
		s.render(w, r, http.StatusNotFound, "message", messagePage{
			Title: "No such order", Message: "“" + shortText(id) + "” is not an order id (order ids look like 0b9c6f1e-…). Find the order on the Batch orders page.",
			Link: "/orders", LinkText: "Batch orders",
		})
		return orderView{}, false
	}
	v, err := s.orderView(r.Context(), r, id)
	if errors.Is(err, store.ErrNoRows) {
		s.render(w, r, http.StatusNotFound, "message", messagePage{
			Title: "No such order", Message: "There is no order " + id + ". An order just started appears once the worker has written it: reload in a moment. Otherwise the link is wrong.",
			Link: "/orders/" + id, LinkText: "Reload",
		})
		return orderView{}, false
	}
	if err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The order (PostgreSQL) did not answer", err)
		return orderView{}, false
	}
	return v, true
}

func (s *Server) orderView(ctx context.Context, r *http.Request, id string) (orderView, error) {
	o, err := s.Store.Order(ctx, id)
	if err != nil {
		return orderView{}, err
	}
	q := r.URL.Query()
	v := orderView{Order: o, ItemStates: itemStates, ItemState: q.Get("item"), Operator: mayOrder(s.Policy, currentUser(r)), Stations: knownStations(s.Policy)}
	if v.ItemState != "" && !slices.Contains(itemStates, v.ItemState) {
		v.Problem = "“" + shortText(v.ItemState) + "” is not an item state; showing every item."
		v.ItemState = ""
	}
	if a := q.Get("after"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			v.Problem = "That is not a page of this order's items; showing the first page."
		} else {
			v.After = n
		}
	}
	first := url.Values{}
	if v.ItemState != "" {
		first.Set("item", v.ItemState)
	}
	v.FirstURL = "/orders/" + id + "?" + first.Encode()
	items, err := s.Store.OrderItems(ctx, id, v.ItemState, v.After, orderItemsSize+1)
	if err != nil {
		return orderView{}, err
	}
	if len(items) > orderItemsSize {
		items = items[:orderItemsSize]
		next := url.Values{}
		for k, vals := range first {
			next[k] = vals
		}
		next.Set("after", strconv.Itoa(items[len(items)-1].Seq))
		v.NextURL = "/orders/" + id + "?" + next.Encode()
	}
	v.Items = items
	return v, nil
}

// orderRepeat is Repeat production of a waiting issue order's failed
// cards, optionally at another station.
func (s *Server) orderRepeat(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadOrder(w, r)
	if !ok {
		return
	}
	v.Station = strings.TrimSpace(r.PostFormValue("station"))
	if v.Station != "" {
		if err := limits.Identifier("station", v.Station); err != nil {
			s.orderRefused(w, r, v, "repeat", invalidInput("Station", err))
			return
		}
	}
	operator := currentUser(r).ID
	var res order.RepeatResult
	if !s.updateOrder(w, r, v, "repeat", order.RepeatUpdate, order.RepeatInput{Operator: operator, Station: v.Station}, &res) {
		return
	}
	at := "each card type's print station"
	if v.Station != "" {
		at = "print station " + v.Station
	}
	s.flash(r, fmt.Sprintf("Round %d repeats the production of %d failed cards at %s; this page follows it.", res.Round, res.Repeated, at))
	http.Redirect(w, r, "/orders/"+v.Order.ID, http.StatusSeeOther)
}

// orderComplete is Complete order: a waiting issue order ends, its failed
// cards staying failed.
func (s *Server) orderComplete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadOrder(w, r)
	if !ok {
		return
	}
	var doc order.Document
	if !s.updateOrder(w, r, v, "complete", order.CompleteUpdate, order.CompleteInput{Operator: currentUser(r).ID}, &doc) {
		return
	}
	s.flash(r, fmt.Sprintf("You completed the order: %d cards done, %d failed (they stay failed), %d skipped.", doc.Counts.Done, doc.Counts.Failed, doc.Counts.Skipped))
	http.Redirect(w, r, "/orders/"+v.Order.ID, http.StatusSeeOther)
}

// updateOrder sends Repeat production or Complete order through
// cardops.UpdateOrder. What PostgreSQL already says (the order ended, no
// failed item) is answered without asking the workflow; the workflow's
// refusals are shown inline. It reports whether the update was done.
func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request, v orderView, what, name string, arg, result any) bool {
	o := v.Order
	switch {
	case o.State == store.OrderCompleted || o.State == store.OrderCancelled:
		s.orderRefused(w, r, v, what, orderEnded(o, what))
		return false
	case name == order.RepeatUpdate && o.State == store.OrderWaiting && o.Failed == 0:
		s.orderRefused(w, r, v, what, refusal{Title: "Not possible now", Message: "This order has no failed cards to repeat. Nothing was changed.", Status: http.StatusConflict})
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.ActionTimeout)
	defer cancel()
	err := s.Cards.UpdateOrder(ctx, o.ID, name, arg, result)
	if errors.Is(err, cardops.ErrOrderClosed) {
		if now, readErr := s.Store.Order(r.Context(), o.ID); readErr == nil {
			o = now
			v.Order = now
		}
		s.orderRefused(w, r, v, what, orderEnded(o, what))
		return false
	}
	if err != nil {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return false
		}
		s.orderRefused(w, r, v, what, explain(err))
		return false
	}
	s.Log.Info("Order updated", zap.String("order", o.ID), zap.String("update", name), zap.String("operator", currentUser(r).ID))
	return true
}

func orderEnded(o store.Order, what string) refusal {
	return refusal{Title: "Not possible now", Message: fmt.Sprintf("This order is already %s; nothing to %s. Nothing was changed.", o.State, what), Status: http.StatusConflict}
}

// orderRefused shows a refusal inline on the order page.
func (s *Server) orderRefused(w http.ResponseWriter, r *http.Request, v orderView, what string, ref refusal) {
	s.Log.Info("Order update refused", zap.String("order", v.Order.ID), zap.String("update", what), zap.String("operator", currentUser(r).ID),
		zap.String("refusal", ref.Message))
	v.Refusal = &ref
	status := ref.Status
	if status == 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "order", v)
}
