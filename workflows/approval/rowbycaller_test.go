package approval_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/workflows/approval"
)

// callerWritesRow is a stand-in for Request card: it writes the approvals
// row with its own statements, so the process writes none.
func callerWritesRow(ctx workflow.Context, req approval.Request, pol approval.Policy) (approval.Outcome, error) {
	p, err := approval.OpenWith(ctx, req, pol, approval.Options{RowWrittenByCaller: true})
	if err != nil {
		return approval.Outcome{}, err
	}
	return p.Await(ctx)
}

// With RowWrittenByCaller the process neither opens nor closes the row,
// and still records every vote as an audit row.
func TestRowWrittenByCallerSkipsOpenAndClose(t *testing.T) {
	f := newFixture(t, 1)
	f.env.RegisterWorkflow(callerWritesRow)
	postponed := f.vote(time.Minute, approval.PostponeUpdate, "alice", "after lunch")
	approved := f.vote(time.Hour, approval.ApproveUpdate, "alice", "ok")
	f.env.ExecuteWorkflow(callerWritesRow, approval.Request{CardID: "c1", Operation: approval.OperationRequest, RequestedBy: "olivia", HolderID: "henry", CardType: "standard"}, f.pol)
	require.True(t, f.env.IsWorkflowCompleted())
	require.NoError(t, f.env.GetWorkflowError())
	var out approval.Outcome
	require.NoError(t, f.env.GetWorkflowResult(&out))
	done(t, postponed)
	done(t, approved)
	require.Equal(t, approval.Approved, out.Decision)
	require.Empty(t, f.opened, "the caller opened the row")
	require.Empty(t, f.closed, "the caller closes the row")
	require.Len(t, f.votes, 2, "each accepted vote is still an audit row")
}
