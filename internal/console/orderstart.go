package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/order"
)

// orderSearchSize is how many users one search of Request multiple cards
// lists to tick.
const orderSearchSize = 100

// orderRequestPage is Request multiple cards: search the directory, tick
// users, choose the card type.
type orderRequestPage struct {
	Query    string
	Searched bool
	Results  []cards.User
	// Ticked are the users ticked when the form was refused, kept.
	Ticked   map[string]bool
	Types    []cardTypeOption
	OrderID  string
	Refusal  *refusal
	MaxItems int
}

func (orderRequestPage) pageTitle() string { return "Request multiple cards" }

// orderRequestForm serves the search of Request multiple cards.
func (s *Server) orderRequestForm(w http.ResponseWriter, r *http.Request) {
	if !s.operatorOnly(w, r) {
		return
	}
	page := s.newOrderRequestPage(strings.TrimSpace(r.FormValue("q")), r.FormValue("card_type"), "")
	if !s.Policy.UseCases.RequestCard {
		page.Refusal = &refusal{Title: "Not available", Message: "Requesting cards is switched off in the policy (useCases.requestCard)."}
		s.render(w, r, http.StatusForbidden, "order-request", page)
		return
	}
	if page.Query != "" {
		page.Searched = true
		found, err := s.Store.SearchUsers(r.Context(), page.Query, orderSearchSize)
		if err != nil {
			page.Refusal = &refusal{Title: "The user directory did not answer", Message: "PostgreSQL did not answer, so users cannot be searched right now. Try again in a moment.", Detail: err.Error()}
			s.render(w, r, http.StatusServiceUnavailable, "order-request", page)
			return
		}
		page.Results = found
	}
	s.render(w, r, http.StatusOK, "order-request", page)
}

func (s *Server) newOrderRequestPage(query, cardType, orderID string) orderRequestPage {
	if _, ok := s.Policy.CardTypes[cardType]; !ok {
		cardType = s.Policy.DefaultCardType
	}
	page := orderRequestPage{Query: query, OrderID: orderID, Ticked: map[string]bool{}, MaxItems: limits.MaxOrderItems}
	if _, err := uuid.Parse(page.OrderID); err != nil {
		page.OrderID = uuid.NewString()
	}
	for _, name := range s.Policy.CardTypeNames() {
		page.Types = append(page.Types, cardTypeOption{Name: name, Summary: approvalSummary(s.Policy, name), Selected: name == cardType})
	}
	return page
}

// orderRequestSubmit starts a request order of the ticked users.
func (s *Server) orderRequestSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.operatorOnly(w, r) {
		return
	}
	cardType := r.PostFormValue("card_type")
	page := s.newOrderRequestPage(strings.TrimSpace(r.PostFormValue("q")), cardType, r.PostFormValue("order_id"))
	refuse := func(status int, ref refusal) {
		page.Refusal = &ref
		if page.Query != "" {
			// The search again, with the ticks kept, to correct.
			if found, err := s.Store.SearchUsers(r.Context(), page.Query, orderSearchSize); err == nil {
				page.Searched, page.Results = true, found
			}
		}
		s.render(w, r, status, "order-request", page)
	}
	if !s.Policy.UseCases.RequestCard {
		refuse(http.StatusForbidden, refusal{Title: "Not available", Message: "Requesting cards is switched off in the policy (useCases.requestCard)."})
		return
	}
	if _, ok := s.Policy.CardTypes[cardType]; !ok {
		refuse(http.StatusUnprocessableEntity, refusal{Title: "Unknown card type", Message: fmt.Sprintf("There is no card type %q; the card types are %s. Nothing was started.",
			shortText(cardType), strings.Join(s.Policy.CardTypeNames(), ", "))})
		return
	}
	users, err := tickedList("Users", r.PostForm["user"], nil)
	for _, id := range users {
		page.Ticked[id] = true
	}
	if err != nil {
		refuse(http.StatusUnprocessableEntity, invalidInput("Users", err))
		return
	}
	operator := currentUser(r).ID
	in := order.Input{OrderID: page.OrderID, Kind: order.KindRequest, Operator: operator, CardType: cardType, Users: users}
	s.startOrder(w, r, in, fmt.Sprintf("Request multiple cards: %d users, by %s (console)", len(users), operator), func(ref refusal) {
		refuse(ref.Status, ref)
	})
}

// orderIssueSubmit starts an issue order of the cards ticked on the Cards
// list (filtered to approved or registered cards).
func (s *Server) orderIssueSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.operatorOnly(w, r) {
		return
	}
	back := "/cards?state=" + string(cards.StateApproved)
	if st := r.PostFormValue("from_state"); st == string(cards.StateRegistered) {
		back = "/cards?state=" + st
	}
	refuse := func(ref refusal) {
		status := ref.Status
		if status == 0 {
			status = http.StatusUnprocessableEntity
		}
		s.render(w, r, status, "message", messagePage{Title: ref.Title, Message: ref.Message, Detail: ref.Detail, Link: back, LinkText: "Back to the cards"})
	}
	if !s.Policy.UseCases.IssueCard {
		refuse(refusal{Title: "Not available", Message: "Issuing cards is switched off in the policy (useCases.issueCard).", Status: http.StatusForbidden})
		return
	}
	station := strings.TrimSpace(r.PostFormValue("station"))
	if station != "" {
		if err := limits.Identifier("station", station); err != nil {
			refuse(invalidInput("Station", err))
			return
		}
	}
	ids, err := tickedList("Cards", r.PostForm["card"], func(id string) error {
		if _, err := uuid.Parse(id); err != nil {
			return &limits.Violation{Field: "Cards", Rule: "card ids (UUIDs) only"}
		}
		return nil
	})
	if err != nil {
		refuse(invalidInput("Cards", err))
		return
	}
	orderID := r.PostFormValue("order_id")
	if _, err := uuid.Parse(orderID); err != nil {
		orderID = uuid.NewString()
	}
	operator := currentUser(r).ID
	in := order.Input{OrderID: orderID, Kind: order.KindIssue, Operator: operator, Station: station, Cards: ids}
	s.startOrder(w, r, in, fmt.Sprintf("Issue multiple cards: %d cards, by %s (console)", len(ids), operator), refuse)
}

// tickedList checks the ticked rows of a form: each an identifier (and,
// with check, whatever else it must be), duplicates dropped, 1 to
// limits.MaxOrderItems of them. Nothing is started on an error.
func tickedList(field string, values []string, check func(string) error) ([]string, error) {
	seen := make(map[string]bool, len(values))
	var ids []string
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			continue
		}
		if err := limits.Identifier(field, v); err != nil {
			return ids, err
		}
		if check != nil {
			if err := check(v); err != nil {
				return ids, err
			}
		}
		seen[v] = true
		ids = append(ids, v)
	}
	if err := limits.OrderList(field, len(ids)); err != nil {
		var v *limits.Violation
		if errors.As(err, &v) && len(ids) == 0 {
			return nil, &limits.Violation{Field: field, Rule: fmt.Sprintf("none ticked: tick 1 to %d rows", limits.MaxOrderItems)}
		}
		return ids, err
	}
	return ids, nil
}

// startOrder starts the Order workflow and, once its first step has
// written the order (or OperationWait has passed), sends the person to
// the order's page, which follows it.
func (s *Server) startOrder(w http.ResponseWriter, r *http.Request, in order.Input, summary string, refuse func(refusal)) {
	ctx, cancel := context.WithTimeout(r.Context(), s.ActionTimeout)
	_, err := s.Cards.StartOrder(ctx, in, summary)
	cancel()
	if err != nil {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return
		}
		ref := explain(err)
		s.Log.Info("Order refused", zap.String("order", in.OrderID), zap.String("kind", in.Kind), zap.String("operator", in.Operator), zap.String("refusal", ref.Message), zap.Error(err))
		refuse(ref)
		return
	}
	s.Log.Info("Order started", zap.String("order", in.OrderID), zap.String("kind", in.Kind), zap.String("operator", in.Operator),
		zap.Int("users", len(in.Users)), zap.Int("cards", len(in.Cards)), zap.String("station", in.Station))
	s.awaitOrderRow(r.Context(), in.OrderID)
	n := len(in.Users) + len(in.Cards)
	s.flash(r, fmt.Sprintf("Order started: %d %s. This page follows it until every one is tried.", n, map[string]string{order.KindRequest: "users", order.KindIssue: "cards"}[in.Kind]))
	http.Redirect(w, r, "/orders/"+in.OrderID, http.StatusSeeOther)
}

// awaitOrderRow waits, at most OperationWait, until the order's row exists,
// so that the order page the person is sent to shows it.
func (s *Server) awaitOrderRow(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, s.OperationWait)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := s.Store.Order(ctx, id); !errors.Is(err, store.ErrNoRows) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
