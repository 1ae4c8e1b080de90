package order

import (
	"time"

	"github.com/cardflow/cardflow/internal/store"
)

// Names that the starter, the console and the Temporal UI rely on.
const (
	// WorkflowType is the registered workflow name.
	WorkflowType = "Order"
	// WorkflowIDPrefix precedes the order id in the workflow id.
	WorkflowIDPrefix = "order-"
	// StatusQuery returns the Document of the running order.
	StatusQuery = "status"
	// RepeatUpdate is Repeat production: the failed items of a waiting
	// issue order are produced again (RepeatInput, RepeatResult).
	RepeatUpdate = "repeat"
	// CompleteUpdate is Complete order: a waiting issue order ends
	// completed, its failed cards staying failed (CompleteInput, Document).
	CompleteUpdate = "complete"
)

// Order kinds.
const (
	KindRequest = store.OrderRequest
	KindIssue   = store.OrderIssue
)

// Sizes of an order's runs. An order of limits.MaxOrderItems items runs
// in about MaxOrderItems/DefaultContinueAfter runs of a few thousand
// history events each, far below Temporal's 50,000 events and 2,000 pending
// children per run.
const (
	// DefaultRequestWindow is how many Request card starts run at once:
	// each waits only until its card is persisted.
	DefaultRequestWindow = 50
	// DefaultIssueWindow is how many productions run at once: a station
	// does one card at a time, so more would only queue at the station
	// (and count against its stationTimeout).
	DefaultIssueWindow = 20
	// MaxWindow bounds Input.Window.
	MaxWindow = 200
	// DefaultContinueAfter is how many items one run starts before it
	// continues as new (once its window is empty and its progress
	// written): about 3 events per item plus workflow tasks.
	DefaultContinueAfter = 500
	// DefaultFlushEvery is how many started or ended items make a batch
	// of progress due for order_items: at most this many in one batch
	// (version 1), or more when they gathered while the write before was
	// in flight (version 2, which writes one batch at a time and keeps
	// the window going meanwhile).
	DefaultFlushEvery = 50
	// FlushAfter is how long progress may wait in the workflow before it
	// is written, when items end slowly.
	FlushAfter = time.Second
)

// WorkflowID derives the workflow id from the order id.
func WorkflowID(orderID string) string { return WorkflowIDPrefix + orderID }

// Input starts an order (its first run) or continues it (Resume set).
type Input struct {
	OrderID string `json:"orderId"`
	// Kind is KindRequest or KindIssue.
	Kind     string `json:"kind"`
	Operator string `json:"operator"`
	// CardType (request orders) is the card type asked for; empty means
	// the policy's default.
	CardType string `json:"cardType,omitempty"`
	// Station (issue orders) is the print station; empty means each card
	// type's own.
	Station string `json:"station,omitempty"`
	// Users (request orders) or Cards (issue orders): the list, in the
	// first run only; later runs read the items from PostgreSQL.
	Users []string `json:"users,omitempty"`
	Cards []string `json:"cards,omitempty"`
	// Window is how many items run at once (0: the kind's default, at most
	// MaxWindow); ContinueAfter how many items one run starts (0:
	// DefaultContinueAfter); FlushEvery how much progress makes a batch due
	// (0: DefaultFlushEvery). Tests make them small.
	Window        int `json:"window,omitempty"`
	ContinueAfter int `json:"continueAfter,omitempty"`
	FlushEvery    int `json:"flushEvery,omitempty"`
	// Resume is where a continued run picks up.
	Resume *Resume `json:"resume,omitempty"`
}

// Resume is the order's place, carried from one run to the next.
type Resume struct {
	// Round is 0 for the first pass, then one more per Repeat production.
	Round int `json:"round,omitempty"`
	// AfterSeq is the last item started: the next run starts the pending
	// items after it.
	AfterSeq int `json:"afterSeq"`
	// Run counts the order's runs (1 for the first).
	Run int `json:"run"`
}

// RepeatInput is Repeat production.
type RepeatInput struct {
	Operator string `json:"operator"`
	// Station, when set, produces the failed cards there instead.
	Station string `json:"station,omitempty"`
}

// RepeatResult says which round repeats how many items.
type RepeatResult struct {
	Round    int `json:"round"`
	Repeated int `json:"repeated"`
}

// CompleteInput is Complete order.
type CompleteInput struct {
	Operator string `json:"operator"`
}

// Document is what the status query returns and the workflow ends with:
// the order as this run knows it. Progress for people comes from
// PostgreSQL (the store's orders row); the counts here are those of the
// last batch written.
type Document struct {
	ID     string            `json:"id"`
	Kind   string            `json:"kind"`
	State  string            `json:"state"`
	Round  int               `json:"round"`
	Counts store.OrderCounts `json:"counts"`
	// Run is the run's number; Window the items running now; Started the
	// items this run started.
	Run     int `json:"run"`
	Window  int `json:"window"`
	Started int `json:"started"`
}
