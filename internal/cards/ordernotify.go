package cards

import (
	"strconv"
	"strings"
)

// Batch order e-mails (LIFECYCLE.md "Batch orders"): the operator who
// started an order is told when it needs them (an issue order waits with
// failed items) and when it completes. Their "card id" in the outbox and
// the notifications table is the order's id.
const (
	// NotifyOrderWaiting is the kind of "your order waits for you"; each
	// round's is OrderEvent(NotifyOrderWaiting, round).
	NotifyOrderWaiting = "order-waiting"
	// NotifyOrderCompleted is the kind of "your order is complete".
	NotifyOrderCompleted = "order-completed"
)

// OrderEvents are the order e-mails' kinds.
var OrderEvents = []string{NotifyOrderWaiting, NotifyOrderCompleted}

// OrderEvent is the event of an order e-mail of kind in round: one event
// per order and round, because the outbox and the notifications table keep
// one row per id and event, which is what sends each e-mail once while an
// order that waits again after a Repeat production is told again.
func OrderEvent(kind string, round int) string { return kind + "-" + strconv.Itoa(round) }

// orderKind returns the kind of an order event ("order-waiting-2"), or "".
func orderKind(event string) string {
	for _, k := range OrderEvents {
		if rest, ok := strings.CutPrefix(event, k+"-"); ok && rest != "" {
			if _, err := strconv.Atoi(rest); err == nil && !strings.HasPrefix(rest, "-") && !strings.HasPrefix(rest, "+") {
				return k
			}
		}
	}
	return ""
}

// IsOrderEvent reports whether event is an order e-mail's.
func IsOrderEvent(event string) bool { return orderKind(event) != "" }

// OrderNotice is what an order e-mail says about the order, carried in
// NotifyInput.Order.
type OrderNotice struct {
	Kind    string `json:"kind"`
	Round   int    `json:"round"`
	Total   int    `json:"total"`
	Done    int    `json:"done"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
}
