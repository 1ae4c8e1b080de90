package workflows

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/workflows/activatecard"
	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/expirysweep"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/order"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// DefaultTaskQueue is where workers poll unless CARDS_TASK_QUEUE says
// otherwise. Every workflow type shares it: one worker runs them all.
const DefaultTaskQueue = "cards"

// Definition is one workflow type: its registered name (part of the
// contract: `temporal workflow list` queries and starters use it) and the
// function that runs it.
type Definition struct {
	Name string
	Func any
}

// Definitions lists every workflow type cardflow runs. Register, the
// worker's start-up checks and the replay test read it, so that adding a
// workflow type here is all it takes to run and replay it.
var Definitions = []Definition{
	{Name: requestcard.WorkflowType, Func: requestcard.RequestCard},
	{Name: issuecard.WorkflowType, Func: issuecard.IssueCard},
	{Name: activatecard.WorkflowType, Func: activatecard.ActivateCard},
	{Name: cardstate.DeactivateType, Func: cardstate.DeactivateCard},
	{Name: cardstate.ReactivateType, Func: cardstate.ReactivateCard},
	{Name: cardstate.LockType, Func: cardstate.LockCard},
	{Name: expirysweep.WorkflowType, Func: expirysweep.ExpirySweep},
	{Name: order.WorkflowType, Func: order.Order},
}

// SearchAttributeNames lists the search attributes a Temporal namespace must
// have registered before the worker can run the workflows of Definitions.
var SearchAttributeNames = requestcard.SearchAttributeNames

// WorkflowRegistry is the part of a worker that registers workflows; the
// SDK's worker, test environment and replayer all have it.
type WorkflowRegistry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// RegisterWorkflows registers every workflow of Definitions under its name.
func RegisterWorkflows(r WorkflowRegistry) {
	for _, d := range Definitions {
		r.RegisterWorkflowWithOptions(d.Func, workflow.RegisterOptions{Name: d.Name})
	}
}

// Register registers every workflow type and the activities they call on w:
// what the worker runs, in one place.
func Register(w worker.Registry, acts *activities.Activities) {
	RegisterWorkflows(w)
	w.RegisterActivity(acts)
}
