package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// Order kinds and states (orders.kind, orders.state).
const (
	OrderRequest = "request"
	OrderIssue   = "issue"

	OrderRunning   = "running"
	OrderWaiting   = "waiting"
	OrderCompleted = "completed"
	OrderCancelled = "cancelled"
)

// Order item states (order_items.state).
const (
	ItemPending = "pending"
	ItemRunning = "running"
	ItemDone    = "done"
	ItemFailed  = "failed"
	ItemSkipped = "skipped"
)

// OrderCounts are an order's items by outcome: what a progress line and
// the Batch orders page show. Running counts every item not yet ended
// (started, or still to start in this round).
type OrderCounts struct {
	Total   int `db:"total" json:"total"`
	Done    int `db:"done" json:"done"`
	Failed  int `db:"failed" json:"failed"`
	Skipped int `db:"skipped" json:"skipped"`
	Running int `db:"running" json:"running"`
}

// Tried reports whether every item has ended (done, failed or skipped).
func (c OrderCounts) Tried() bool { return c.Running == 0 }

// Order is one row of orders, with its counts.
type Order struct {
	ID         string    `db:"id"`
	Kind       string    `db:"kind"`
	State      string    `db:"state"`
	CreatedBy  string    `db:"created_by"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
	CardType   string    `db:"card_type"`
	Station    string    `db:"station"`
	WorkflowID string    `db:"workflow_id"`
	Round      int       `db:"round"`
	OrderCounts
}

// OrderItem is one row of order_items.
type OrderItem struct {
	Seq       int       `db:"seq"`
	UserID    string    `db:"user_id"`
	CardID    string    `db:"card_id"`
	State     string    `db:"state"`
	Reason    string    `db:"reason"`
	Round     int       `db:"round"`
	UpdatedAt time.Time `db:"updated_at"`
}

// NewOrderItem is an item as the order is created: pending, or skipped at
// once with its reason.
type NewOrderItem struct {
	UserID string
	CardID string
	State  string
	Reason string
}

const orderColumns = `id, kind, state, created_by, created_at, updated_at, card_type, station, workflow_id, round,
	total, done, failed, skipped, running`

const itemColumns = `seq, user_id, COALESCE(card_id::text, '') AS card_id, state, reason, round, updated_at`

// countsSQL recomputes order $1's counts from its items (an index-only
// scan of order_items_by_state) into its row: run in the transaction that
// changed the items, so the row's counts are never behind them.
var countsSQL = `
	UPDATE orders o SET total = c.total, done = c.done, failed = c.failed, skipped = c.skipped, running = c.running,
		updated_at = GREATEST(o.updated_at, $2)
	FROM (SELECT count(*) AS total,
			count(*) FILTER (WHERE state = 'done') AS done,
			count(*) FILTER (WHERE state = 'failed') AS failed,
			count(*) FILTER (WHERE state = 'skipped') AS skipped,
			count(*) FILTER (WHERE state IN ('pending', 'running')) AS running
		FROM order_items WHERE order_id = $1) c
	WHERE o.id = $1
	RETURNING ` + orderColumnsOf("o")

func orderColumnsOf(t string) string {
	return t + ".id, " + t + ".kind, " + t + ".state, " + t + ".created_by, " + t + ".created_at, " + t + ".updated_at, " +
		t + ".card_type, " + t + ".station, " + t + ".workflow_id, " + t + ".round, " +
		t + ".total, " + t + ".done, " + t + ".failed, " + t + ".skipped, " + t + ".running"
}

// CreateOrder writes the order and its items (seq 1, 2, ... in the given
// order) in one transaction, with their counts. It is idempotent: when the
// order already exists (a retried activity) it returns the stored order and
// writes nothing; created says which happened.
func (s *Store) CreateOrder(ctx context.Context, o Order, items []NewOrderItem) (stored Order, created bool, err error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, false, fmt.Errorf("create order %s: %w", o.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `
		INSERT INTO orders (id, kind, state, created_by, created_at, updated_at, card_type, station, workflow_id)
		VALUES ($1, $2, 'running', $3, $4, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		o.ID, o.Kind, o.CreatedBy, o.CreatedAt, o.CardType, o.Station, o.WorkflowID)
	if err != nil {
		return Order{}, false, fmt.Errorf("create order %s: %w", o.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_ = tx.Rollback()
		stored, err := s.Order(ctx, o.ID)
		return stored, false, err
	}
	seqs := make([]int64, len(items))
	users, cardIDs, states, reasons := make([]string, len(items)), make([]string, len(items)), make([]string, len(items)), make([]string, len(items))
	for i, it := range items {
		seqs[i], users[i], cardIDs[i], states[i], reasons[i] = int64(i+1), it.UserID, it.CardID, it.State, it.Reason
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO order_items (order_id, seq, user_id, card_id, state, reason, updated_at)
		SELECT $1, t.seq, t.user_id, NULLIF(t.card_id, '')::uuid, t.state, t.reason, $2
		FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[]) AS t(seq, user_id, card_id, state, reason)`,
		o.ID, o.CreatedAt, pq.Array(seqs), pq.Array(users), pq.Array(cardIDs), pq.Array(states), pq.Array(reasons)); err != nil {
		return Order{}, false, fmt.Errorf("create the items of order %s: %w", o.ID, err)
	}
	if err := tx.GetContext(ctx, &stored, countsSQL, o.ID, o.CreatedAt); err != nil {
		return Order{}, false, fmt.Errorf("count the items of order %s: %w", o.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return Order{}, false, fmt.Errorf("create order %s: %w", o.ID, err)
	}
	s.writes.Add(1)
	return stored, true, nil
}

// Order returns the order with id, or ErrNoRows.
func (s *Store) Order(ctx context.Context, id string) (Order, error) {
	s.reads.Add(1)
	var o Order
	err := s.DB.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNoRows
	}
	if err != nil {
		return o, fmt.Errorf("read order %s: %w", id, err)
	}
	return o, nil
}

// OrderFilter selects orders for a list, newest first.
type OrderFilter struct {
	// State, when set, keeps orders in that state.
	State string
	// Before, when set, continues a list after the order of that creation
	// time and id (keyset paging).
	Before *OrderCursor
	Limit  int
}

// OrderCursor is where the next page of ListOrders starts.
type OrderCursor struct {
	CreatedAt time.Time
	ID        string
}

// ListOrders returns orders with their counts, newest first: one query
// over orders alone, whatever the orders' sizes (the counts live on the
// rows).
func (s *Store) ListOrders(ctx context.Context, f OrderFilter) ([]Order, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var at any
	var id string
	if f.Before != nil {
		at, id = f.Before.CreatedAt, f.Before.ID
	}
	s.reads.Add(1)
	orders := []Order{}
	err := s.DB.SelectContext(ctx, &orders, `SELECT `+orderColumns+` FROM orders
		WHERE ($1 = '' OR state = $1) AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, f.State, at, nullUUID(id), f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return orders, nil
}

func nullUUID(id string) any {
	if id == "" {
		return nil
	}
	return id
}

// OrderItems returns up to limit items of the order after seq afterSeq, by
// seq; state, when set, keeps items in that state.
func (s *Store) OrderItems(ctx context.Context, orderID string, state string, afterSeq, limit int) ([]OrderItem, error) {
	if limit <= 0 {
		limit = 1000
	}
	s.reads.Add(1)
	items := []OrderItem{}
	err := s.DB.SelectContext(ctx, &items, `SELECT `+itemColumns+` FROM order_items
		WHERE order_id = $1 AND ($2 = '' OR state = $2) AND seq > $3 ORDER BY seq LIMIT $4`, orderID, state, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("read the items of order %s: %w", orderID, err)
	}
	return items, nil
}

// ItemEnd is how one item ended.
type ItemEnd struct {
	Seq    int    `json:"seq"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// OrderProgress is a batch of what happened to an order's items since the
// last batch: the workflow writes one per several items, not one per item.
type OrderProgress struct {
	// Started items become running (if still pending).
	Started []int
	Ended   []ItemEnd
	// Round is the order's round: items of a later round are left alone.
	Round int
	At    time.Time
}

// RecordOrderProgress writes a batch of progress and the order's counts in
// one transaction and returns the order. Running it again writes the same
// values: a retried activity changes nothing.
func (s *Store) RecordOrderProgress(ctx context.Context, orderID string, p OrderProgress) (Order, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, fmt.Errorf("record progress of order %s: %w", orderID, err)
	}
	defer func() { _ = tx.Rollback() }()
	if len(p.Started) > 0 {
		seqs := make([]int64, len(p.Started))
		for i, s := range p.Started {
			seqs[i] = int64(s)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_items SET state = 'running', updated_at = $3
			WHERE order_id = $1 AND seq = ANY($2::int[]) AND state = 'pending' AND round <= $4`,
			orderID, pq.Array(seqs), p.At, p.Round); err != nil {
			return Order{}, fmt.Errorf("record started items of order %s: %w", orderID, err)
		}
	}
	if len(p.Ended) > 0 {
		seqs, states, reasons := make([]int64, len(p.Ended)), make([]string, len(p.Ended)), make([]string, len(p.Ended))
		for i, e := range p.Ended {
			seqs[i], states[i], reasons[i] = int64(e.Seq), e.State, e.Reason
		}
		if _, err := tx.ExecContext(ctx, `UPDATE order_items i SET state = t.state, reason = t.reason, updated_at = $5
			FROM unnest($2::int[], $3::text[], $4::text[]) AS t(seq, state, reason)
			WHERE i.order_id = $1 AND i.seq = t.seq AND i.round <= $6`,
			orderID, pq.Array(seqs), pq.Array(states), pq.Array(reasons), p.At, p.Round); err != nil {
			return Order{}, fmt.Errorf("record ended items of order %s: %w", orderID, err)
		}
	}
	var o Order
	if err := tx.GetContext(ctx, &o, countsSQL, orderID, p.At); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Order{}, ErrNoRows
		}
		return Order{}, fmt.Errorf("count the items of order %s: %w", orderID, err)
	}
	if err := tx.Commit(); err != nil {
		return Order{}, fmt.Errorf("record progress of order %s: %w", orderID, err)
	}
	s.writes.Add(1)
	return o, nil
}

// SetOrderState moves the order to state (waiting, completed, cancelled or
// running again) and returns it. Moving it to the state it is in changes
// nothing; a completed or cancelled order is final and refused with
// *ErrOrderFinal.
func (s *Store) SetOrderState(ctx context.Context, orderID, state string, at time.Time) (Order, error) {
	var o Order
	err := s.DB.GetContext(ctx, &o, `UPDATE orders SET state = $2, updated_at = GREATEST(updated_at, $3)
		WHERE id = $1 AND (state = $2 OR state NOT IN ('completed', 'cancelled'))
		RETURNING `+orderColumns, orderID, state, at)
	if errors.Is(err, sql.ErrNoRows) {
		stored, readErr := s.Order(ctx, orderID)
		if readErr != nil {
			return Order{}, readErr
		}
		return stored, &ErrOrderFinal{Order: stored}
	}
	if err != nil {
		return Order{}, fmt.Errorf("set order %s %s: %w", orderID, state, err)
	}
	s.writes.Add(1)
	return o, nil
}

// ErrOrderFinal is a change asked of a completed or cancelled order.
type ErrOrderFinal struct{ Order Order }

func (e *ErrOrderFinal) Error() string {
	return fmt.Sprintf("order %s is %s", e.Order.ID, e.Order.State)
}

// RepeatFailedItems starts round round of the order: its failed items
// become pending again, the order running, on station (empty: each card
// type's own). It returns how many items the round repeats; run again for
// the same round it changes nothing and returns the same count.
func (s *Store) RepeatFailedItems(ctx context.Context, orderID string, round int, station string, at time.Time) (int, Order, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return 0, Order{}, fmt.Errorf("repeat order %s: %w", orderID, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `UPDATE order_items SET state = 'pending', reason = '', round = $2, updated_at = $3
		WHERE order_id = $1 AND state = 'failed' AND round < $2`, orderID, round, at); err != nil {
		return 0, Order{}, fmt.Errorf("repeat the failed items of order %s: %w", orderID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET round = $2, station = $3, state = 'running'
		WHERE id = $1 AND round < $2 AND state NOT IN ('completed', 'cancelled')`, orderID, round, station); err != nil {
		return 0, Order{}, fmt.Errorf("repeat order %s: %w", orderID, err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM order_items WHERE order_id = $1 AND round = $2`, orderID, round); err != nil {
		return 0, Order{}, fmt.Errorf("count the repeated items of order %s: %w", orderID, err)
	}
	var o Order
	if err := tx.GetContext(ctx, &o, countsSQL, orderID, at); err != nil {
		return 0, Order{}, fmt.Errorf("count the items of order %s: %w", orderID, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, Order{}, fmt.Errorf("repeat order %s: %w", orderID, err)
	}
	s.writes.Add(1)
	return n, o, nil
}

// UserReadiness is what Request multiple cards needs to know of a user.
type UserReadiness struct {
	ID     string `db:"id"`
	State  string `db:"state"`
	OpenID string `db:"open_id"`
	// OpenState is the state of OpenID.
	OpenState string `db:"open_state"`
}

// OpenRequestStates are the states in which a card counts as an open
// request for Request multiple cards: asked for and not yet produced
// (requested, approved, registered). A user with one of the card type is
// skipped, so that running an order twice gives nobody two cards.
var OpenRequestStates = []string{"requested", "approved", "registered"}

// UsersForOrder returns, in one query, each known user of ids with its
// directory state and, if any, a card of cardType in OpenRequestStates.
// Unknown ids are missing from the map.
func (s *Store) UsersForOrder(ctx context.Context, ids []string, cardType string) (map[string]UserReadiness, error) {
	s.reads.Add(1)
	var rows []UserReadiness
	err := s.DB.SelectContext(ctx, &rows, `
		SELECT u.id, u.state, COALESCE(o.id::text, '') AS open_id, COALESCE(o.state, '') AS open_state
		FROM users u
		LEFT JOIN LATERAL (SELECT c.id, c.state FROM cards c
			WHERE c.user_id = u.id AND c.card_type = $2 AND c.state = ANY($3::text[])
			ORDER BY c.created_at LIMIT 1) o ON true
		WHERE u.id = ANY($1::text[])`, pq.Array(ids), cardType, pq.Array(OpenRequestStates))
	if err != nil {
		return nil, fmt.Errorf("read the users of an order: %w", err)
	}
	m := make(map[string]UserReadiness, len(rows))
	for _, r := range rows {
		m[r.ID] = r
	}
	return m, nil
}

// CardReadiness is what Issue multiple cards needs to know of a card.
type CardReadiness struct {
	ID                  string `db:"id"`
	UserID              string `db:"user_id"`
	State               string `db:"state"`
	ProductionCancelled bool   `db:"production_cancelled"`
}

// CardsForOrder returns, in one query, each known card of ids. Unknown
// ids are missing from the map.
func (s *Store) CardsForOrder(ctx context.Context, ids []string) (map[string]CardReadiness, error) {
	s.reads.Add(1)
	var rows []CardReadiness
	err := s.DB.SelectContext(ctx, &rows, `SELECT id::text AS id, user_id, state, production_cancelled FROM cards WHERE id = ANY($1::uuid[])`,
		pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("read the cards of an order: %w", err)
	}
	m := make(map[string]CardReadiness, len(rows))
	for _, r := range rows {
		m[r.ID] = r
	}
	return m, nil
}

// CancelOrder ends an order cancelled from Temporal: its items not yet
// started are skipped with reason, the order cancelled, with its counts.
// Again, nothing more.
func (s *Store) CancelOrder(ctx context.Context, orderID, reason string, at time.Time) (Order, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, fmt.Errorf("cancel order %s: %w", orderID, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `UPDATE order_items SET state = 'skipped', reason = $2, updated_at = $3
		WHERE order_id = $1 AND state = 'pending'`, orderID, reason, at); err != nil {
		return Order{}, fmt.Errorf("cancel order %s: %w", orderID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = 'cancelled' WHERE id = $1 AND state <> 'completed'`, orderID); err != nil {
		return Order{}, fmt.Errorf("cancel order %s: %w", orderID, err)
	}
	var o Order
	if err := tx.GetContext(ctx, &o, countsSQL, orderID, at); err != nil {
		return Order{}, fmt.Errorf("count the items of order %s: %w", orderID, err)
	}
	if err := tx.Commit(); err != nil {
		return Order{}, fmt.Errorf("cancel order %s: %w", orderID, err)
	}
	s.writes.Add(1)
	return o, nil
}
