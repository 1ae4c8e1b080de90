package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
)

// orderCardSpace names the card a Request multiple cards order asks for
// each user: derived from the order and the user, so that a retried start
// (after a lost answer, a worker killed mid-order) finds the same card.
var orderCardSpace = uuid.MustParse("0f3c1f0e-8f4e-4a43-9b0e-2f7f3d1c6a21")

// OrderCardID is the card id of userID's item in order orderID.
func OrderCardID(orderID, userID string) string {
	return uuid.NewSHA1(orderCardSpace, []byte(orderID+"/"+userID)).String()
}

// CreateOrderInput is an order as the operator gave it: the first run of
// the Order workflow passes the whole list, once.
type CreateOrderInput struct {
	OrderID    string    `json:"orderId"`
	WorkflowID string    `json:"workflowId"`
	Kind       string    `json:"kind"`
	Operator   string    `json:"operator"`
	CardType   string    `json:"cardType,omitempty"`
	Station    string    `json:"station,omitempty"`
	Users      []string  `json:"users,omitempty"`
	Cards      []string  `json:"cards,omitempty"`
	At         time.Time `json:"at"`
}

// CreatedOrder is the order as written: the card type in force (request
// orders) and its counts.
type CreatedOrder struct {
	CardType string            `json:"cardType,omitempty"`
	Counts   store.OrderCounts `json:"counts"`
}

// CreateOrder checks the operator and the use case, then writes the order
// and its items in one transaction, each item pending or skipped with the
// reason (unknown or inactive user, open request; unknown card, card not
// approved or registered, production cancelled), read for the whole list in
// one query. Run again it writes nothing. Refusals of the whole order:
// InvalidInput (an empty, oversized or malformed list), UseCaseDisabled,
// UnknownCardType, NotAllowed.
func (a *Activities) CreateOrder(ctx context.Context, in CreateOrderInput) (CreatedOrder, error) {
	var (
		items []store.NewOrderItem
		err   error
		o     = store.Order{ID: in.OrderID, Kind: in.Kind, CreatedBy: in.Operator, CreatedAt: in.At, Station: in.Station, WorkflowID: in.WorkflowID}
	)
	switch in.Kind {
	case store.OrderRequest:
		if !a.Policy.UseCases.RequestCard {
			return CreatedOrder{}, temporal.NewNonRetryableApplicationError(
				"Request multiple cards needs the Request card use case: set useCases.requestCard: true in the policy file", cards.ErrUseCaseDisabled, nil)
		}
		resolved, err := a.ResolvePolicy(ctx, in.CardType)
		if err != nil {
			return CreatedOrder{}, err
		}
		o.CardType = resolved.CardType
		if err := orderList("users", in.Users); err != nil {
			return CreatedOrder{}, err
		}
		if err := a.checkOperator(ctx, in.Operator, "request multiple cards"); err != nil {
			return CreatedOrder{}, err
		}
		if items, err = a.requestItems(ctx, in.OrderID, in.Users, o.CardType); err != nil {
			return CreatedOrder{}, err
		}
	case store.OrderIssue:
		if !a.Policy.UseCases.IssueCard {
			return CreatedOrder{}, temporal.NewNonRetryableApplicationError(
				"Issue multiple cards needs the Issue card use case: set useCases.issueCard: true in the policy file", cards.ErrUseCaseDisabled, nil)
		}
		if err := orderList("cards", in.Cards); err != nil {
			return CreatedOrder{}, err
		}
		if in.Station != "" {
			if err := limits.Identifier("station", in.Station); err != nil {
				return CreatedOrder{}, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
			}
		}
		if err := a.checkOperator(ctx, in.Operator, "issue multiple cards"); err != nil {
			return CreatedOrder{}, err
		}
		if items, err = a.issueItems(ctx, in.Cards); err != nil {
			return CreatedOrder{}, err
		}
	default:
		return CreatedOrder{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("order kind %q: must be request or issue", in.Kind), cards.ErrInvalidInput, nil)
	}
	stored, _, err := a.Store.CreateOrder(ctx, o, items)
	if err != nil {
		return CreatedOrder{}, err
	}
	return CreatedOrder{CardType: stored.CardType, Counts: stored.OrderCounts}, nil
}

// orderList refuses an empty or oversized list, or a malformed entry.
func orderList(field string, ids []string) error {
	if err := limits.OrderList(field, len(ids)); err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
	}
	for _, id := range ids {
		if err := limits.Identifier(field, id); err != nil {
			return temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidInput, nil)
		}
	}
	return nil
}

// requestItems gives each user its item: pending with its derived card,
// or skipped with the reason. A user listed twice is skipped the second
// time.
func (a *Activities) requestItems(ctx context.Context, orderID string, users []string, cardType string) ([]store.NewOrderItem, error) {
	known, err := a.Store.UsersForOrder(ctx, users, cardType)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(users))
	items := make([]store.NewOrderItem, 0, len(users))
	for _, id := range users {
		it := store.NewOrderItem{UserID: id, State: store.ItemSkipped}
		u, ok := known[id]
		switch {
		case seen[id]:
			it.Reason = "listed twice: the first item requests the card"
		case !ok:
			it.Reason = fmt.Sprintf("user %s is not in the directory", id)
		case u.State != cards.ActiveUserState:
			it.Reason = fmt.Sprintf("user %s is %s: only active users get a card", id, u.State)
		case u.OpenID != "":
			it.Reason = fmt.Sprintf("user %s already has an open request: card %s is %s (%s)", id, u.OpenID, u.OpenState, cardType)
			it.CardID = u.OpenID
		default:
			it.State, it.CardID = store.ItemPending, OrderCardID(orderID, id)
		}
		seen[id] = true
		items = append(items, it)
	}
	return items, nil
}

// issueItems gives each card its item: pending when it can be produced,
// else skipped with the reason.
func (a *Activities) issueItems(ctx context.Context, ids []string) ([]store.NewOrderItem, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if _, err := uuid.Parse(id); err == nil {
			valid = append(valid, id)
		}
	}
	known, err := a.Store.CardsForOrder(ctx, valid)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(ids))
	items := make([]store.NewOrderItem, 0, len(ids))
	for _, raw := range ids {
		it := store.NewOrderItem{State: store.ItemSkipped}
		parsed, parseErr := uuid.Parse(raw)
		id := raw
		if parseErr == nil {
			id = parsed.String()
			it.CardID = id
		}
		c, ok := known[id]
		it.UserID = c.UserID
		switch {
		case parseErr != nil:
			it.Reason = fmt.Sprintf("%q is not a card id (a UUID)", raw)
		case seen[id]:
			it.Reason = "listed twice: the first item produces the card"
		case !ok:
			it.Reason = fmt.Sprintf("card %s does not exist", id)
		case c.ProductionCancelled:
			it.Reason = fmt.Sprintf("card %s is %s and its production was cancelled: it is final", id, c.State)
		case c.State != string(cards.StateApproved) && c.State != string(cards.StateRegistered):
			it.Reason = fmt.Sprintf("card %s is %s; Issue multiple cards needs approved or registered cards", id, c.State)
		default:
			it.State = store.ItemPending
		}
		seen[id] = true
		items = append(items, it)
	}
	return items, nil
}

// OrderItemRef is an item to start.
type OrderItemRef struct {
	Seq    int    `json:"seq"`
	UserID string `json:"userId,omitempty"`
	CardID string `json:"cardId,omitempty"`
}

// PendingOrderItems returns up to limit pending items of the order after
// seq afterSeq, by seq: the next page of the order's window.
func (a *Activities) PendingOrderItems(ctx context.Context, orderID string, afterSeq, limit int) ([]OrderItemRef, error) {
	items, err := a.Store.OrderItems(ctx, orderID, store.ItemPending, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	refs := make([]OrderItemRef, len(items))
	for i, it := range items {
		refs[i] = OrderItemRef{Seq: it.Seq, UserID: it.UserID, CardID: it.CardID}
	}
	return refs, nil
}

// RecordOrderProgressInput is a batch of the order's progress.
type RecordOrderProgressInput struct {
	OrderID string          `json:"orderId"`
	Started []int           `json:"started,omitempty"`
	Ended   []store.ItemEnd `json:"ended,omitempty"`
	Round   int             `json:"round,omitempty"`
	At      time.Time       `json:"at"`
}

// RecordOrderProgress writes a batch of started and ended items and the
// order's counts, in one transaction; again, the same values.
func (a *Activities) RecordOrderProgress(ctx context.Context, in RecordOrderProgressInput) (store.OrderCounts, error) {
	o, err := a.Store.RecordOrderProgress(ctx, in.OrderID, store.OrderProgress{Started: in.Started, Ended: in.Ended, Round: in.Round, At: in.At})
	return o.OrderCounts, err
}

// SetOrderStateInput moves an order to a state.
type SetOrderStateInput struct {
	OrderID string    `json:"orderId"`
	State   string    `json:"state"`
	At      time.Time `json:"at"`
}

// SetOrderState moves the order to waiting, completed or cancelled; a
// final order is refused (InvalidState), the same state again is nothing.
// Moving into waiting or completed queues the operator's e-mail in the same
// transaction (orderNotice), once per order and round.
func (a *Activities) SetOrderState(ctx context.Context, in SetOrderStateInput) (store.OrderCounts, error) {
	o, queued, err := a.Store.SetOrderStateNotify(ctx, in.OrderID, in.State, in.At, a.orderNotice(in.State))
	var final *store.ErrOrderFinal
	if errors.As(err, &final) {
		return o.OrderCounts, temporal.NewNonRetryableApplicationError(err.Error(), cards.ErrInvalidState, nil)
	}
	if queued && a.OnQueued != nil {
		a.OnQueued()
	}
	return o.OrderCounts, err
}

// RepeatOrderInput is Repeat production of an order's failed items.
type RepeatOrderInput struct {
	OrderID  string    `json:"orderId"`
	Round    int       `json:"round"`
	Station  string    `json:"station,omitempty"`
	Operator string    `json:"operator"`
	At       time.Time `json:"at"`
}

// RepeatOrder checks the operator, then makes the order's failed items
// pending again for round in.Round (on in.Station, or each card type's
// station) and returns how many; again, the same count and nothing more.
func (a *Activities) RepeatOrder(ctx context.Context, in RepeatOrderInput) (int, error) {
	if err := a.checkOperator(ctx, in.Operator, "repeat an order's production"); err != nil {
		return 0, err
	}
	n, _, err := a.Store.RepeatFailedItems(ctx, in.OrderID, in.Round, in.Station, in.At)
	return n, err
}

// CancelOrderInput ends an order cancelled from Temporal.
type CancelOrderInput struct {
	OrderID string    `json:"orderId"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// CancelOrder skips the order's items not yet started, with the reason,
// and marks it cancelled.
func (a *Activities) CancelOrder(ctx context.Context, in CancelOrderInput) (store.OrderCounts, error) {
	o, err := a.Store.CancelOrder(ctx, in.OrderID, in.Reason, in.At)
	return o.OrderCounts, err
}

// CardRequester starts one Request card and returns once the card is
// persisted (requested or approved) or refused: cardops.Client.Request,
// which the worker gives the activities (this package cannot import it:
// it is below the workflows that cardops starts).
type CardRequester interface {
	RequestCard(ctx context.Context, cardID, userID, cardType, requestedBy string) (cards.Status, error)
}

// RequestOrderItemInput is one user's item of a Request multiple cards
// order.
type RequestOrderItemInput struct {
	CardID   string `json:"cardId"`
	UserID   string `json:"userId"`
	CardType string `json:"cardType,omitempty"`
	Operator string `json:"operator"`
}

// ItemOutcome is how an item ended: done, failed or skipped, and why.
type ItemOutcome struct {
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// RequestOrderItem starts the user's Request card (update-with-start on
// request-card-<card id>, the card id derived from the order) and returns
// once the card is persisted: done (requested or approved; approvals are
// not waited for), skipped with the refusal's words (the user became
// inactive, opened a request meanwhile, ...), or failed when the request
// could not be persisted. A retry attaches to the same request.
func (a *Activities) RequestOrderItem(ctx context.Context, in RequestOrderItemInput) (ItemOutcome, error) {
	if a.Requester == nil {
		return ItemOutcome{}, temporal.NewNonRetryableApplicationError("this worker cannot start Request card (no Temporal client given to the activities)", ErrNoRequester, nil)
	}
	// A worker that dies mid-call is noticed at the heartbeat timeout, not
	// at the end of the start-to-close timeout: the order resumes at once.
	stop := heartbeat(ctx, 2*time.Second)
	status, err := a.Requester.RequestCard(ctx, in.CardID, in.UserID, in.CardType, in.Operator)
	stop()
	var app *temporal.ApplicationError
	switch {
	case err == nil && status.State == cards.StateFailed:
		return ItemOutcome{State: store.ItemFailed, Reason: "the request could not be persisted"}, nil
	case err == nil:
		return ItemOutcome{State: store.ItemDone}, nil
	case errors.As(err, &app) && app.Type() == cards.ErrInfrastructureUnavailable:
		return ItemOutcome{State: store.ItemFailed, Reason: app.Message()}, nil
	case errors.As(err, &app):
		return ItemOutcome{State: store.ItemSkipped, Reason: app.Message()}, nil
	}
	return ItemOutcome{}, err
}

// ErrNoRequester is a worker whose activities cannot start Request card.
const ErrNoRequester = "NoRequester"

// heartbeat records the activity's heartbeat every interval until stopped.
func heartbeat(ctx context.Context, interval time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
