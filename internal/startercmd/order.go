package startercmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cardops"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/order"
)

// OrderCmd is Batch orders: Request multiple cards and Issue multiple
// cards, and what an operator does with an order afterwards.
type OrderCmd struct {
	Request  OrderRequestCmd  `cmd:"" help:"Request multiple cards: one Request card per user; returns once every user is tried."`
	Issue    OrderIssueCmd    `cmd:"" help:"Issue multiple cards: produce approved cards, each on its own lane; returns once every card is tried."`
	Status   OrderStatusCmd   `cmd:"" help:"Show an order's document (counts and items) from PostgreSQL."`
	Repeat   OrderRepeatCmd   `cmd:"" help:"Repeat production of a waiting issue order's failed cards, optionally on another station."`
	Complete OrderCompleteCmd `cmd:"" help:"Complete a waiting issue order; its failed cards stay failed."`
	List     OrderListCmd     `cmd:"" help:"List orders with their progress, newest first."`
}

// OrderRequestCmd starts a request order.
type OrderRequestCmd struct {
	Users     string `name:"users" help:"User ids, comma-separated."`
	UsersFile string `name:"users-file" type:"path" help:"A file of user ids, one per line (blank lines and # comments ignored)."`
	CardType  string `name:"card-type" help:"Card type (default: the policy's defaultCardType)."`
	Operator  string `name:"operator" default:"${defaultOperator}" help:"Who orders the cards."`
	NoWait    bool   `name:"no-wait" help:"Return at once with the order id."`
	Window    int    `name:"window" help:"How many items run at once (default 50 for request orders, 20 for issue orders; at most 200)."`
}

// OrderIssueCmd starts an issue order.
type OrderIssueCmd struct {
	Cards     string `name:"cards" help:"Card ids, comma-separated."`
	CardsFile string `name:"cards-file" type:"path" help:"A file of card ids, one per line (blank lines and # comments ignored)."`
	Station   string `name:"station" help:"Print station id (default: each card type's production.station)."`
	Operator  string `name:"operator" default:"${defaultOperator}" help:"Who issues the cards."`
	NoWait    bool   `name:"no-wait" help:"Return at once with the order id."`
	Window    int    `name:"window" help:"How many items run at once (default 50 for request orders, 20 for issue orders; at most 200)."`
}

// OrderStatusCmd shows an order.
type OrderStatusCmd struct {
	Order string `name:"order" required:"" help:"Order id."`
}

// OrderRepeatCmd repeats an order's failed productions.
type OrderRepeatCmd struct {
	Order    string `name:"order" required:"" help:"Order id of a waiting issue order."`
	Station  string `name:"station" help:"Print station id (default: each card type's production.station)."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who repeats the production."`
	NoWait   bool   `name:"no-wait" help:"Return once the repeat is accepted, without waiting for the cards."`
}

// OrderCompleteCmd completes a waiting order.
type OrderCompleteCmd struct {
	Order    string `name:"order" required:"" help:"Order id of a waiting issue order."`
	Operator string `name:"operator" default:"${defaultOperator}" help:"Who completes the order."`
}

// OrderListCmd lists orders.
type OrderListCmd struct {
	State string `name:"state" enum:",running,waiting,completed,cancelled" default:"" help:"Only orders in this state."`
	Limit int    `name:"limit" default:"50" help:"At most this many orders, newest first."`
}

// Run starts the request order.
func (c *OrderRequestCmd) Run(e *env) error {
	users, dropped, err := orderList("--users", c.Users, "--users-file", c.UsersFile)
	if err != nil {
		return err
	}
	if err := inputs(limits.Identifier("--operator", c.Operator), optional(limits.Identifier, "--card-type", c.CardType)); err != nil {
		return err
	}
	if err := checkWindow(c.Window); err != nil {
		return err
	}
	in := order.Input{OrderID: uuid.NewString(), Kind: order.KindRequest, Operator: c.Operator, CardType: c.CardType, Users: users, Window: c.Window}
	return e.startOrder(in, dropped, c.NoWait, fmt.Sprintf("Request multiple cards: %d users, by %s", len(users), c.Operator))
}

// Run starts the issue order.
func (c *OrderIssueCmd) Run(e *env) error {
	ids, dropped, err := orderList("--cards", c.Cards, "--cards-file", c.CardsFile)
	if err != nil {
		return err
	}
	if err := inputs(limits.Identifier("--operator", c.Operator), optional(limits.Identifier, "--station", c.Station)); err != nil {
		return err
	}
	if err := checkWindow(c.Window); err != nil {
		return err
	}
	in := order.Input{OrderID: uuid.NewString(), Kind: order.KindIssue, Operator: c.Operator, Station: c.Station, Cards: ids, Window: c.Window}
	return e.startOrder(in, dropped, c.NoWait, fmt.Sprintf("Issue multiple cards: %d cards, by %s", len(ids), c.Operator))
}

// startOrder starts the workflow, then follows the order in PostgreSQL
// until every item is tried.
func (e *env) startOrder(in order.Input, dropped []string, noWait bool, summary string) error {
	if len(dropped) > 0 {
		fmt.Fprintf(e.out.stderr, "starter: %d listed twice, ordered once: %s\n", len(dropped), abbreviate(dropped, 10))
	}
	ops, err := e.ops()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	run, err := ops.StartOrder(ctx, in, summary)
	cancel()
	if err != nil {
		return err
	}
	if noWait {
		return e.printOrderStarted(in.OrderID)
	}
	ended := make(chan error, 1)
	go func() { ended <- run.Get(e.ctx, nil) }()
	return e.followOrder(in.OrderID, ended, 0)
}

func (e *env) printOrderStarted(id string) error {
	if e.out.json {
		e.out.writeJSON(map[string]string{"id": id, "state": store.OrderRunning})
		return nil
	}
	fmt.Fprintf(e.out.stdout, "Order %s started.\nFollow it: starter order status --order %s\n", id, id)
	return nil
}

// followOrder prints a progress line each time the order's counts change,
// until every item of the round after round `after` is tried (the order
// waits or completes) or the workflow ends with an error, then prints the
// order.
func (e *env) followOrder(id string, ended <-chan error, afterRound int) error {
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := ""
	var workflowErr error
	workflowEnded := false
	for {
		o, err := st.Order(e.ctx, id)
		switch {
		case errors.Is(err, store.ErrNoRows):
			if workflowEnded {
				if workflowErr != nil {
					return workflowErr
				}
				return cardops.OrderNotFound(id)
			}
		case err != nil:
			return err
		case o.Round >= afterRound && o.State != store.OrderRunning:
			return e.printOrder(e.ctx, st, id)
		case workflowEnded && workflowErr != nil:
			return workflowErr
		default:
			if line := progressLine(o); line != last {
				last = line
				fmt.Fprintln(e.out.stderr, "starter:", line)
			}
		}
		select {
		case <-e.ctx.Done():
			return &failure{Type: "StillRunning", Err: fmt.Errorf("order %s goes on; the starter stopped waiting: follow it with `starter order status --order %s`", id, id)}
		case werr := <-ended:
			workflowEnded, workflowErr = true, werr
			ended = nil
		case <-tick.C:
		}
	}
}

func progressLine(o store.Order) string {
	tried := o.Done + o.Failed + o.Skipped
	return fmt.Sprintf("order %s: %d of %d tried (done %d, failed %d, skipped %d), %d running", o.ID, tried, o.Total, o.Done, o.Failed, o.Skipped, o.Running)
}

// Run prints the order.
func (c *OrderStatusCmd) Run(e *env) error {
	id, err := parseOrderID(c.Order)
	if err != nil {
		return err
	}
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	return e.printOrder(e.ctx, st, id)
}

// Run repeats the failed productions and waits for them.
func (c *OrderRepeatCmd) Run(e *env) error {
	id, err := parseOrderID(c.Order)
	if err != nil {
		return err
	}
	if err := inputs(limits.Identifier("--operator", c.Operator), optional(limits.Identifier, "--station", c.Station)); err != nil {
		return err
	}
	var res order.RepeatResult
	if err := e.updateOrder(id, order.RepeatUpdate, order.RepeatInput{Operator: c.Operator, Station: c.Station}, &res, "repeat"); err != nil {
		return err
	}
	fmt.Fprintf(e.out.stderr, "starter: order %s: round %d repeats %d failed cards\n", id, res.Round, res.Repeated)
	if c.NoWait {
		st, err := e.store()
		if err != nil {
			return &failure{Type: "DatabaseUnreachable", Err: err}
		}
		defer st.Close()
		return e.printOrder(e.ctx, st, id)
	}
	return e.followOrder(id, nil, res.Round)
}

// Run completes the order.
func (c *OrderCompleteCmd) Run(e *env) error {
	id, err := parseOrderID(c.Order)
	if err != nil {
		return err
	}
	if err := inputs(limits.Identifier("--operator", c.Operator)); err != nil {
		return err
	}
	var doc order.Document
	if err := e.updateOrder(id, order.CompleteUpdate, order.CompleteInput{Operator: c.Operator}, &doc, "complete"); err != nil {
		return err
	}
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	return e.printOrder(e.ctx, st, id)
}

// updateOrder sends an update; an order whose workflow has ended (or that
// does not exist) is answered from PostgreSQL.
func (e *env) updateOrder(id, name string, arg, result any, what string) error {
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	o, err := st.Order(e.ctx, id)
	switch {
	case errors.Is(err, store.ErrNoRows):
		return cardops.OrderNotFound(id)
	case err != nil:
		return err
	case o.State == store.OrderCompleted || o.State == store.OrderCancelled:
		return &refusal{Type: "InvalidState", Message: fmt.Sprintf("order %s is already %s; nothing to %s", id, o.State, what)}
	case name == order.RepeatUpdate && o.State == store.OrderWaiting && o.Failed == 0:
		return &refusal{Type: "InvalidState", Message: fmt.Sprintf("order %s has no failed items to repeat", id)}
	}
	ops, err := e.ops()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	err = ops.UpdateOrder(ctx, id, name, arg, result)
	if errors.Is(err, cardops.ErrOrderClosed) {
		o, readErr := st.Order(e.ctx, id)
		if readErr != nil {
			return readErr
		}
		return &refusal{Type: "InvalidState", Message: fmt.Sprintf("order %s is already %s; nothing to %s", id, o.State, what)}
	}
	return err
}

// Run lists orders.
func (c *OrderListCmd) Run(e *env) error {
	if c.Limit <= 0 {
		return &usageError{fmt.Sprintf("--limit must be positive, got %d", c.Limit)}
	}
	st, err := e.store()
	if err != nil {
		return &failure{Type: "DatabaseUnreachable", Err: err}
	}
	defer st.Close()
	rows, err := st.ListOrders(e.ctx, store.OrderFilter{State: c.State, Limit: c.Limit})
	if err != nil {
		return err
	}
	docs := make([]store.OrderDocument, 0, len(rows))
	for _, o := range rows {
		d := o.Document()
		d.Items = nil
		docs = append(docs, d)
	}
	if e.out.json {
		e.out.writeJSON(map[string]any{"orders": docs})
		return nil
	}
	if len(docs) == 0 {
		fmt.Fprintln(e.out.stdout, "No orders match.")
		return nil
	}
	tw := tabwriter.NewWriter(e.out.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ORDER\tKIND\tSTATE\tTOTAL\tDONE\tFAILED\tSKIPPED\tRUNNING\tBY\tCREATED")
	for _, d := range docs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", d.ID, d.Kind, d.State, d.Counts.Total, d.Counts.Done, d.Counts.Failed,
			d.Counts.Skipped, d.Counts.Running, d.CreatedBy, d.CreatedAt.Format("2006-01-02 15:04"))
	}
	return tw.Flush()
}

// printOrder prints the order document: with --json all of it, else the
// counts, the items that did not end done, and what to do next.
func (e *env) printOrder(ctx context.Context, st *store.Store, id string) error {
	doc, err := st.OrderDocument(ctx, id)
	if errors.Is(err, store.ErrNoRows) {
		return cardops.OrderNotFound(id)
	}
	if err != nil {
		return err
	}
	if e.out.json {
		e.out.writeJSON(doc)
		return nil
	}
	w := e.out.stdout
	c := doc.Counts
	fmt.Fprintf(w, "Order %s (%s, by %s) is %s: %d items, done %d, failed %d, skipped %d, running %d.\n",
		doc.ID, doc.Kind, doc.CreatedBy, doc.State, c.Total, c.Done, c.Failed, c.Skipped, c.Running)
	shown := 0
	for _, it := range doc.Items {
		if it.State == store.ItemDone || shown >= 50 {
			continue
		}
		shown++
		who := it.CardID
		if doc.Kind == store.OrderRequest {
			who = it.UserID
		}
		fmt.Fprintf(w, "  %-8s %s  %s\n", it.State, who, it.Reason)
	}
	if n := c.Total - c.Done; n > shown {
		fmt.Fprintf(w, "  ... and %d more (--json lists every item)\n", n-shown)
	}
	if doc.State == store.OrderWaiting {
		fmt.Fprintf(w, "Next: starter order repeat --order %s [--station S]   (or: starter order complete --order %s)\n", doc.ID, doc.ID)
	}
	return nil
}

func parseOrderID(s string) (string, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return "", &usageError{fmt.Sprintf("--order %s is not an order id (a UUID)", quoted(s))}
	}
	return id.String(), nil
}

func abbreviate(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + fmt.Sprintf(", ... (%d more)", len(ids)-n)
}

func checkWindow(n int) error {
	if n < 0 || n > order.MaxWindow {
		return &usageError{fmt.Sprintf("--window must be 1 to %d, got %d", order.MaxWindow, n)}
	}
	return nil
}
