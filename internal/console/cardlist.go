package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
)

// listStates are the card states the Cards page filters by.
var listStates = cards.CardStates

// cardListPage is the Cards page: every card, newest first, filtered by
// state, user and card type, a page at a time; with Expiring within N
// days, the cards that can still expire before then, soonest first.
type cardListPage struct {
	State    string
	UserID   string
	CardType string
	// Expiring is the Expiring within field as typed ("" when off);
	// ExpiringInvalid says it was refused (Problem says why), so that no
	// list answers a question that was not asked.
	Expiring        string
	ExpiringInvalid bool
	States          []cards.State
	Types           []string
	Cards           []cardRow
	// NextURL is the link to the following page, "" on the last one;
	// FirstURL goes back to the first page with the same filters.
	NextURL  string
	FirstURL string
	Paged    bool
	Problem  string
	// Issuable says the rows can be ticked for Issue multiple cards: the
	// list is filtered to approved or registered cards and the signed-in
	// user is an operator under a policy with useCases.issueCard.
	// OrderID makes a posted form start one order however often it is
	// sent; Stations are the policy's print stations, as suggestions.
	Issuable bool
	OrderID  string
	Stations []string
}

// cardRow is one card of the list and, on the expiring list, when it
// expires seen at the request's time.
type cardRow struct {
	store.Card
	Expiry *expiry
}

func (cardListPage) pageTitle() string { return "Cards" }

// Filtered says a filter is set, for the empty-list message.
func (p cardListPage) Filtered() bool {
	return p.State != "" || p.UserID != "" || p.CardType != "" || p.Expiring != ""
}

// ExpiringOn says the list is the expiring one, which shows Valid until.
func (p cardListPage) ExpiringOn() bool { return p.Expiring != "" && !p.ExpiringInvalid }

// ExpiringDays says the Expiring within period: "1 day", "30 days".
func (p cardListPage) ExpiringDays() string {
	if p.Expiring == "1" {
		return "1 day"
	}
	return p.Expiring + " days"
}

const cardListSize = 25

// parseExpiringDays reads the Expiring within field: a whole number of
// days from minExpiringDays to maxExpiringDays, 0 when empty; problem
// names the field and the rule (never the value, as internal/limits does)
// when it is anything else.
func parseExpiringDays(s string) (days int, problem string) {
	if s == "" {
		return 0, ""
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minExpiringDays || n > maxExpiringDays {
		v := limits.Violation{Field: "Expiring within", Rule: fmt.Sprintf("a whole number of days from %d to %d", minExpiringDays, maxExpiringDays)}
		return 0, v.Error() + ". No cards are listed until it is corrected."
	}
	return n, ""
}

// maxEchoedDays bounds what the Expiring within field shows back after a
// refusal: a typo is kept to be corrected, a megabyte of query string is
// not.
const maxEchoedDays = 16

func (s *Server) cardList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := cardListPage{
		State:    q.Get("state"),
		UserID:   strings.TrimSpace(q.Get("user")),
		CardType: q.Get("type"),
		Expiring: strings.TrimSpace(q.Get("expiring")),
		States:   listStates,
		Types:    s.Policy.CardTypeNames(),
		Paged:    q.Get("after") != "",
	}
	days, problem := parseExpiringDays(page.Expiring)
	if problem != "" {
		page.Problem, page.ExpiringInvalid = problem, true
		if len(page.Expiring) > maxEchoedDays {
			page.Expiring = ""
		}
		s.render(w, r, http.StatusUnprocessableEntity, "cards", page)
		return
	}
	if days > 0 {
		page.Expiring = strconv.Itoa(days)
	}
	if page.State != "" && !slices.Contains(listStates, cards.State(page.State)) {
		page.Problem = "“" + page.State + "” is not a card state; showing all states."
		page.State = ""
	}
	filters := url.Values{}
	for k, v := range map[string]string{"state": page.State, "user": page.UserID, "type": page.CardType, "expiring": page.Expiring} {
		if v != "" {
			filters.Set(k, v)
		}
	}
	page.FirstURL = "/cards?" + filters.Encode()
	if (page.State == string(cards.StateApproved) || page.State == string(cards.StateRegistered)) && page.Expiring == "" &&
		s.Policy.UseCases.IssueCard && mayOrder(s.Policy, currentUser(r)) {
		page.Issuable, page.OrderID, page.Stations = true, uuid.NewString(), knownStations(s.Policy)
	}
	f := store.PageFilter{
		State: cards.State(page.State), UserID: page.UserID, CardType: page.CardType, After: q.Get("after"), Limit: cardListSize,
	}
	now := s.Now()
	if days > 0 {
		f.ExpiringBefore = expiringBefore(now, days)
	}
	result, err := s.Store.ListCardsPage(r.Context(), f)
	if errors.Is(err, store.ErrBadCursor) {
		page.Problem = err.Error()
		s.render(w, r, http.StatusBadRequest, "cards", page)
		return
	}
	if err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The card list (PostgreSQL) did not answer", err)
		return
	}
	for _, c := range result.Cards {
		page.Cards = append(page.Cards, cardRow{Card: c, Expiry: expiryOf(c, now)})
	}
	if result.Next != "" {
		next := url.Values{}
		for k, v := range filters {
			next[k] = v
		}
		next.Set("after", result.Next)
		page.NextURL = "/cards?" + next.Encode()
	}
	s.render(w, r, http.StatusOK, "cards", page)
}
