package console

import (
	"context"
	"net/http"
	"slices"
	"sync"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// inboxScan bounds how many waiting cards the Inbox looks at; inboxSize is
// how many it shows. Approvals in progress live in the workflow, so each
// candidate checked costs one status query (statusQueues at a time); the
// candidates are checked a page at a time, newest first, until the page is
// full.
const (
	inboxScan    = 500
	inboxSize    = 50
	statusQueues = 8
)

// inboxItem is one card waiting for the signed-in user's decision.
type inboxItem struct {
	Card   store.Card
	Status cards.Status
	// StatusErr says the live status could not be read; the card is shown
	// anyway, since the person may still decide it.
	StatusErr string
}

type inboxPage struct {
	Items []inboxItem
	// More says the Inbox was cut at inboxSize.
	More bool
}

func (inboxPage) pageTitle() string { return "Inbox" }

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	items, more, err := s.inboxItems(r.Context(), currentUser(r))
	if err != nil {
		s.failure(w, r, http.StatusServiceUnavailable, "The card list (PostgreSQL) did not answer", err)
		return
	}
	s.render(w, r, http.StatusOK, "inbox", inboxPage{Items: items, More: more})
}

// inboxItems returns the cards u may decide, newest first: the waiting cards
// that pass the cheap directory rules, then, from their live status, those u
// has not approved yet.
func (s *Server) inboxItems(ctx context.Context, u cards.User) ([]inboxItem, bool, error) {
	waiting, err := s.Store.ListCards(ctx, store.ListFilter{State: cards.StateRequested, Limit: inboxScan})
	if err != nil {
		return nil, false, err
	}
	var candidates []store.Card
	for _, c := range waiting {
		if inboxCandidate(s.Policy, u, c) {
			candidates = append(candidates, c)
		}
	}
	// Statuses a page at a time, newest first, until the page is full: an
	// approver with thousands of waiting cards costs about inboxSize
	// queries, not thousands.
	var items []inboxItem
	next := 0
	for next < len(candidates) && len(items) < inboxSize {
		end := min(next+inboxSize, len(candidates))
		batch := statuses(ctx, s.Cards, candidates[next:end])
		next = end
		items = append(items, slices.DeleteFunc(batch, func(it inboxItem) bool {
			if it.StatusErr != "" {
				return false
			}
			return it.Status.State != cards.StateRequested || decisionBar(s.Policy, u, it.Card, it.Status.Approvals) != ""
		})...)
	}
	more := len(items) > inboxSize || next < len(candidates)
	if len(items) > inboxSize {
		items = items[:inboxSize]
	}
	return items, more, nil
}

// statuses queries the live status of each card, a few at a time, keeping
// the order.
func statuses(ctx context.Context, ops CardOps, list []store.Card) []inboxItem {
	items := make([]inboxItem, len(list))
	sem := make(chan struct{}, statusQueues)
	var wg sync.WaitGroup
	for i, c := range list {
		items[i].Card = c
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			st, err := ops.Status(ctx, c.ID)
			if err != nil {
				items[i].StatusErr = err.Error()
				return
			}
			items[i].Status = st
		}()
	}
	wg.Wait()
	return items
}
