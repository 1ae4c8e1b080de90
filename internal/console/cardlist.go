package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// listStates are the card states the Cards page filters by.
var listStates = []cards.State{cards.StateRequested, cards.StateApproved, cards.StateRejected, cards.StateAborted}

// cardListPage is the Cards page: every card, newest first, filtered by
// state, user and card type, a page at a time.
type cardListPage struct {
	State    string
	UserID   string
	CardType string
	States   []cards.State
	Types    []string
	Cards    []store.Card
	// NextURL is the link to the following page, "" on the last one;
	// FirstURL goes back to the first page with the same filters.
	NextURL  string
	FirstURL string
	Paged    bool
	Problem  string
}

func (cardListPage) pageTitle() string { return "Cards" }

// Filtered says a filter is set, for the empty-list message.
func (p cardListPage) Filtered() bool { return p.State != "" || p.UserID != "" || p.CardType != "" }

const cardListSize = 25

func (s *Server) cardList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page := cardListPage{
		State:    q.Get("state"),
		UserID:   strings.TrimSpace(q.Get("user")),
		CardType: q.Get("type"),
		States:   listStates,
		Types:    s.Policy.CardTypeNames(),
		Paged:    q.Get("after") != "",
	}
	if page.State != "" && !slices.Contains(listStates, cards.State(page.State)) {
		page.Problem = "“" + page.State + "” is not a card state; showing all states."
		page.State = ""
	}
	filters := url.Values{}
	for k, v := range map[string]string{"state": page.State, "user": page.UserID, "type": page.CardType} {
		if v != "" {
			filters.Set(k, v)
		}
	}
	page.FirstURL = "/cards?" + filters.Encode()
	result, err := s.Store.ListCardsPage(r.Context(), store.PageFilter{
		State: cards.State(page.State), UserID: page.UserID, CardType: page.CardType, After: q.Get("after"), Limit: cardListSize,
	})
	if errors.Is(err, store.ErrBadCursor) {
		page.Problem = err.Error()
		s.render(w, r, http.StatusBadRequest, "cards", page)
		return
	}
	if err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The card list (PostgreSQL) did not answer", err)
		return
	}
	page.Cards = result.Cards
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
