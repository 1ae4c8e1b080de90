package console

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/store"
)

// mayOrder reports whether u may use the Batch orders page (LIFECYCLE.md
// "Batch orders"): an operator, i.e. an active user holding the policy's
// requesterRole. Like the other rules it decides what to offer; the Order
// workflow checks the operator again.
func mayOrder(p *policy.Policy, u cards.User) bool {
	return u.Active() && u.HasRole(p.RequesterRole)
}

// orderStates are the order states the Batch orders page filters by.
var orderStates = []string{store.OrderRunning, store.OrderWaiting, store.OrderCompleted, store.OrderCancelled}

// ordersListSize is how many orders one page of the list shows.
const ordersListSize = 25

// ordersPage is the Batch orders page: orders newest first with their
// progress (the counts kept on each orders row: one query, whatever the
// orders' sizes), and the two ways to start one.
type ordersPage struct {
	State  string
	States []string
	Orders []store.Order
	// NextURL is the following page ("" on the last), FirstURL the first.
	NextURL  string
	FirstURL string
	Paged    bool
	Problem  string
	// CanRequest and CanIssue say which kinds the policy's use cases
	// allow.
	CanRequest, CanIssue bool
}

func (ordersPage) pageTitle() string { return "Batch orders" }

// ordersCursor is the list's keyset cursor in a link: the last order's
// creation time and id.
func ordersCursor(o store.Order) string {
	return o.CreatedAt.UTC().Format(time.RFC3339Nano) + "_" + o.ID
}

func parseOrdersCursor(s string) (*store.OrderCursor, bool) {
	if s == "" {
		return nil, true
	}
	if len(s) < 38 || s[len(s)-37] != '_' {
		return nil, false
	}
	at, err := time.Parse(time.RFC3339Nano, s[:len(s)-37])
	if err != nil {
		return nil, false
	}
	id := s[len(s)-36:]
	if _, err := uuid.Parse(id); err != nil {
		return nil, false
	}
	return &store.OrderCursor{CreatedAt: at, ID: id}, true
}

// orderList serves the Batch orders page.
func (s *Server) orderList(w http.ResponseWriter, r *http.Request) {
	if !s.operatorOnly(w, r) {
		return
	}
	q := r.URL.Query()
	page := ordersPage{State: q.Get("state"), States: orderStates, Paged: q.Get("after") != "",
		CanRequest: s.Policy.UseCases.RequestCard, CanIssue: s.Policy.UseCases.IssueCard}
	if page.State != "" && !slices.Contains(orderStates, page.State) {
		page.Problem = "“" + shortText(page.State) + "” is not an order state; showing all states."
		page.State = ""
	}
	filters := url.Values{}
	if page.State != "" {
		filters.Set("state", page.State)
	}
	page.FirstURL = "/orders?" + filters.Encode()
	before, ok := parseOrdersCursor(q.Get("after"))
	if !ok {
		page.Problem = "That is not a page of the order list; showing the first page."
		page.Paged = false
	}
	rows, err := s.Store.ListOrders(r.Context(), store.OrderFilter{State: page.State, Before: before, Limit: ordersListSize + 1})
	if err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The order list (PostgreSQL) did not answer", err)
		return
	}
	if len(rows) > ordersListSize {
		rows = rows[:ordersListSize]
		next := url.Values{}
		for k, v := range filters {
			next[k] = v
		}
		next.Set("after", ordersCursor(rows[len(rows)-1]))
		page.NextURL = "/orders?" + next.Encode()
	}
	page.Orders = rows
	s.render(w, r, http.StatusOK, "orders", page)
}

// operatorOnly answers 403 with the rule to anyone who may not use the
// Batch orders pages, and reports whether the request may go on.
func (s *Server) operatorOnly(w http.ResponseWriter, r *http.Request) bool {
	if mayOrder(s.Policy, currentUser(r)) {
		return true
	}
	s.render(w, r, http.StatusForbidden, "message", messagePage{
		Title:   "Not allowed",
		Message: "Batch orders are for operators: active directory users holding the role “" + s.Policy.RequesterRole + "”, which you do not hold. Ask an administrator if you should have it.",
		Link:    "/inbox", LinkText: "Back to the inbox",
	})
	return false
}
