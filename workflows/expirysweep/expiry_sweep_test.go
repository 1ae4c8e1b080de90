package expirysweep_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/expiry"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/expirysweep"
)

var acts *activities.Activities

// pages is a fake of the cards: page i (by the cursor's id "p<i>") reminds
// one standard card at 1440h and expires one visitor card; the last page is
// short (Done).
type pages struct {
	total   int
	calls   []string
	fail    map[int]int // page → failures left before it works
	nows    []time.Time
	revoked []string
	counted []time.Time
}

func (p *pages) sweep(_ context.Context, in activities.SweepExpiryPageInput) (activities.SweepExpiryPageResult, error) {
	i := 0
	if in.Cursor.ID != "" {
		fmt.Sscanf(in.Cursor.ID, "p%d", &i)
	}
	p.calls = append(p.calls, in.Cursor.ID)
	p.nows = append(p.nows, in.Now)
	if p.fail[i] > 0 {
		p.fail[i]--
		return activities.SweepExpiryPageResult{}, errors.New("PostgreSQL unreachable")
	}
	t := expiry.Totals{}
	t.Remind("standard", "1440h")
	t.Remind("standard", "daily-2029-11-20")
	t.Expire("visitor")
	return activities.SweepExpiryPageResult{
		Cursor: store.ExpiryCursor{ID: fmt.Sprintf("p%d", i+1)}, Done: i+1 == p.total, Visited: 3, Totals: t,
		Revoke: []string{fmt.Sprintf("serial-%d", i)},
	}, nil
}

func run(t *testing.T, p *pages, in expirysweep.Input) (*testsuite.TestWorkflowEnvironment, expirysweep.Result, error) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(expirysweep.ExpirySweep, workflow.RegisterOptions{Name: expirysweep.WorkflowType})
	env.RegisterActivity(acts)
	env.OnActivity(acts.SweepExpiryPage, mock.Anything, mock.Anything).Return(p.sweep)
	env.OnActivity(acts.CountExpirySweep, mock.Anything, mock.Anything).Return(
		func(_ context.Context, now time.Time) (expiry.Totals, error) {
			// The fake's rows: what its pages reported (no lost answers).
			t := expiry.Totals{}
			for range p.total {
				t.Remind("standard", "1440h")
				t.Remind("standard", "daily-2029-11-20")
				t.Expire("visitor")
			}
			p.counted = append(p.counted, now)
			return t, nil
		}).Maybe()
	env.OnActivity(acts.RevokeExpiredCertificates, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RevokeExpiredCertificatesInput) error {
			p.revoked = append(p.revoked, in.Serials...)
			return nil
		}).Maybe()
	env.ExecuteWorkflow(expirysweep.ExpirySweep, in)
	require.True(t, env.IsWorkflowCompleted())
	var res expirysweep.Result
	err := env.GetWorkflowError()
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&res))
	}
	return env, res, err
}

func TestASweepPagesThroughToTheEnd(t *testing.T) {
	p := &pages{total: 3}
	_, res, err := run(t, p, expirysweep.Input{})
	require.NoError(t, err)
	require.Equal(t, []string{"", "p1", "p2"}, p.calls)
	require.Equal(t, 3, res.Pages)
	require.Equal(t, 9, res.Visited)
	require.Equal(t, 3, res.Totals["standard"].Reminded["1440h"])
	require.Equal(t, 3, res.Totals["standard"].Reminded["daily"])
	require.Equal(t, 3, res.Totals["visitor"].Expired)
	require.Equal(t, []string{"serial-0", "serial-1", "serial-2"}, p.revoked)
	require.Equal(t, 3, res.Revoked)
	require.Equal(t, []time.Time{res.Now}, p.counted, "counted once, as of the sweep's time")
	// One time for the whole sweep.
	for _, now := range p.nows {
		require.Equal(t, res.Now, now)
	}
}

// After PagesPerRun pages the run continues as new with the cursor, the
// sweep's time and the totals; the next run carries on and the result is
// the whole sweep's.
func TestASweepContinuesAsNewWithItsCursorAndTotals(t *testing.T) {
	p := &pages{total: 5}
	_, _, err := run(t, p, expirysweep.Input{PagesPerRun: 2})
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, err, &can)
	require.Equal(t, expirysweep.WorkflowType, can.WorkflowType.Name)
	var next expirysweep.Input
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, "p2", next.Cursor.ID)
	require.Equal(t, 2, next.Result.Pages)
	require.Equal(t, 1, next.Result.Continuations)
	require.Equal(t, 2, next.Result.Totals["visitor"].Expired)
	require.False(t, next.Now.IsZero())

	runs := 1
	for {
		_, res, err := run(t, p, next)
		runs++
		if errors.As(err, &can) {
			next = expirysweep.Input{}
			require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
			continue
		}
		require.NoError(t, err)
		require.Equal(t, 3, runs)
		require.Equal(t, []string{"", "p1", "p2", "p3", "p4"}, p.calls)
		require.Equal(t, 5, res.Pages)
		require.Equal(t, 5, res.Totals["standard"].Reminded["1440h"])
		require.Equal(t, 5, res.Totals["visitor"].Expired)
		require.Equal(t, 2, res.Continuations)
		for _, now := range p.nows {
			require.Equal(t, next.Now, now, "every page of every run sweeps as of the first run's time")
		}
		return
	}
}

// A page that fails (PostgreSQL down) is retried from the same cursor;
// the sweep then goes on, nothing counted twice.
func TestAFailedPageIsRetriedFromItsCursor(t *testing.T) {
	p := &pages{total: 3, fail: map[int]int{1: 2}}
	_, res, err := run(t, p, expirysweep.Input{})
	require.NoError(t, err)
	require.Equal(t, []string{"", "p1", "p1", "p1", "p2"}, p.calls)
	require.Equal(t, 3, res.Pages)
	require.Equal(t, 3, res.Totals["visitor"].Expired)
}
