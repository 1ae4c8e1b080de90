package engine

import "context"

// Orderer is a running system that takes batch orders (cardflow's Order
// workflow, LIFECYCLE.md "Batch orders"); the order scale scenarios drive
// it, and compare it with the same cards done one at a time.
type Orderer interface {
	// StartOrder starts the order's workflow as the starter does
	// (cardops.StartOrder) and returns its first run's id, from which
	// the runs that continued as new are followed.
	StartOrder(ctx context.Context, o OrderSpec) (firstRunID string, err error)
	// OrderWorkflowID is the order's workflow id.
	OrderWorkflowID(orderID string) string
	// RequestAlone requests one card of the kind a request order asks for,
	// as `starter request` does (cardops.Request), and returns once it is
	// persisted.
	RequestAlone(ctx context.Context, card Card) error
}

// OrderSpec is an order as a scenario asks for it.
type OrderSpec struct {
	ID string
	// Kind is "request" (Users) or "issue" (Cards).
	Kind  string
	Users []string
	Cards []string
}
