// Package requestcard holds RequestCard, the durable process of the Request
// card use case (CardsProcRequest): from an operator's request to an
// approved, rejected or aborted card.
//
// One file per idea: request_card.go is the workflow from start to finish
// (prepare, await, write the outcome, finish); prepare.go what happens
// before the card exists; await.go the wait for a decision; handlers.go,
// decisions.go and authorize.go the query, updates and signals and their
// rules; steps.go how an activity call survives outages; notify.go and
// visibility.go what people see (e-mail, search attributes, the UI's
// details line); names.go the names other programs rely on; version.go the
// versioned change point and which versions this code still replays.
package requestcard
