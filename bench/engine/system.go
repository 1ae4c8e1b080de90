package engine

import (
	"context"

	"go.temporal.io/sdk/client"
)

// System is one implementation of the card's job that the bench drives: the
// subject (cardflow) or a yardstick it is compared with. A system is
// registered once (bench/systems) and started for each run; everything a
// run needs of it is behind the Running it returns, so that the engine
// never asks which system it drives.
type System interface {
	// Name is how the tables, the JSON and the workflow ids name it.
	Name() string
	// Describe is its line in the output's header: what it ran with, so
	// that no figure is read without knowing what was on.
	Describe(Setup) string
	// Start runs its worker against e (stopped by e's closers) and returns
	// the handle the scenarios drive it through.
	Start(ctx context.Context, e *Env) (Running, error)
}

// Running is a started system: the few operations a scenario drives a card
// through, and what the engine needs to wait for and inspect its workflows.
type Running interface {
	// Request sends one card's request and returns once the card is
	// persisted.
	Request(ctx context.Context, card Card, req CardRequest) error
	// Approve sends a card's approval and returns once it is approved.
	Approve(ctx context.Context, card Card) error
	// Issue produces an approved card at the system's print station and
	// returns once the operation has ended (the card issued).
	Issue(ctx context.Context, card Card) error
	// Activate activates an issued card and returns once it is active.
	Activate(ctx context.Context, card Card) error
	// Deactivate starts the deactivation of an active card whose type
	// needs one approval for it and returns once it waits for that
	// approval.
	Deactivate(ctx context.Context, card Card) error
	// ApproveOperation sends the approver's vote on the operation waiting
	// on the card's lane and returns once the operation has ended (the
	// card inactive, for a deactivation).
	ApproveOperation(ctx context.Context, card Card) error
	// Client talks to the system's workflows (with its codec, if any).
	Client() client.Client
	// TaskQueue is this run's queue of the system: settling a batch waits
	// until none of its workflows runs.
	TaskQueue() string
	// WorkflowID is the id of the system's workflow for card.
	WorkflowID(card Card) string
	// LaneWorkflowID is the id the card's operations (Issue, Activate)
	// run under, one run each; the history table counts them with the
	// request's.
	LaneWorkflowID(card Card) string
}

// DBCounter is a running system that counts its own PostgreSQL work: the
// report's PostgreSQL table is per card of the subject that implements it.
type DBCounter interface {
	DBCounts(ctx context.Context) (writeTransactions, reads float64, err error)
}

// CardRequest is what a scenario asks of a request, in terms every system
// understands; each system maps it onto its own input (cardflow onto a card
// type whose policy needs an approval or not).
type CardRequest struct {
	// Approval: the card waits for one approval once persisted.
	Approval bool
}

// Lineup is the systems of a run and how they are compared: the subject's
// cards are the ones verified in PostgreSQL and e-mail, the others are
// yardsticks whose figures the subject's are divided by.
type Lineup struct {
	// Systems in the order of a round's first batch; later rounds rotate it.
	Systems []System
	// Subject names the system under test.
	Subject string
	// Comparisons are the ratio tables, in the order they are printed.
	Comparisons []Comparison
}

// Comparison is one ratio table: the subject's figures over Against's.
type Comparison struct {
	Against string
	// Targets: the headline yardstick, whose ratios must meet the targets
	// (targetThroughput, targetP99); otherwise Note says why it is there.
	Targets bool
	Note    string
}

// names lists the systems' names in the lineup's order.
func (l Lineup) names() []string {
	out := make([]string, len(l.Systems))
	for i, s := range l.Systems {
		out[i] = s.Name()
	}
	return out
}
