// Package expirysweep is the ExpirySweep workflow: one pass over the cards
// near or past their valid_until, a page at a time (SweepExpiryPage), with
// the cursor in the workflow so that an outage is retried and the sweep
// resumes where it stopped. A Temporal Schedule (card-expiry-sweep) starts
// it daily; `starter expiry sweep` starts one now.
package expirysweep

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/expiry"
	"github.com/cardflow/cardflow/internal/store"
)

// WorkflowType is ExpirySweep's registered name.
const WorkflowType = "ExpirySweep"

// DefaultPagesPerRun bounds the pages one run sweeps before it continues as
// new: 200 pages of 1,000 cards keep a run's history near a thousand
// events, far below Temporal's limits, whatever the number of cards.
const DefaultPagesPerRun = 200

// Input starts a sweep; a continued run gets the cursor, the sweep's time
// and the totals so far. The zero Input is a fresh sweep with the defaults.
type Input struct {
	// Now is the sweep's time, fixed at its first run (zero: the
	// workflow's start time).
	Now time.Time `json:"now,omitempty"`
	// Cursor is where the sweep stands (zero: the beginning).
	Cursor store.ExpiryCursor `json:"cursor"`
	// PageSize is the cards per page (zero: activities.DefaultExpiryPageSize).
	PageSize int `json:"pageSize,omitempty"`
	// PagesPerRun bounds the pages of one run (zero: DefaultPagesPerRun).
	PagesPerRun int `json:"pagesPerRun,omitempty"`
	// Result is what the sweep did so far (carried over continue-as-new).
	Result Result `json:"result"`
}

// Result is what a sweep did: reminders per card type and mark kind,
// cards expired per card type (while it runs, the pages' own counts; at
// its end, counted from the rows it wrote), pages and cards visited, and
// how many runs it took.
type Result struct {
	Now           time.Time     `json:"now"`
	Totals        expiry.Totals `json:"totals"`
	Pages         int           `json:"pages"`
	Visited       int           `json:"visited"`
	Revoked       int           `json:"certificatesRevoked"`
	Continuations int           `json:"continuations"`
}

// a names activities through their registered methods; never called.
var a *activities.Activities

const versionChangeID = "expiry-sweep"

const currentVersion workflow.Version = 1

// pageOptions retry a page until it works: PostgreSQL down is waited for,
// and the page is run again from the same cursor (its writes are
// idempotent). A page heartbeats at each step, so a worker that dies
// mid-page costs ten seconds, not the two-minute timeout.
func pageOptions(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
		Summary: summary,
	})
}

// ExpirySweep sweeps every page, continuing as new after PagesPerRun pages
// with the cursor and the totals, and returns what it did.
func ExpirySweep(ctx workflow.Context, in Input) (Result, error) {
	workflow.GetVersion(ctx, versionChangeID, currentVersion, currentVersion)
	if in.Now.IsZero() {
		in.Now = workflow.Now(ctx).UTC()
	}
	if in.PagesPerRun <= 0 {
		in.PagesPerRun = DefaultPagesPerRun
	}
	res := in.Result
	res.Now = in.Now
	if res.Totals == nil {
		res.Totals = expiry.Totals{}
	}
	cursor := in.Cursor
	for page := 0; page < in.PagesPerRun; page++ {
		var out activities.SweepExpiryPageResult
		err := workflow.ExecuteActivity(pageOptions(ctx, "Sweep a page"), a.SweepExpiryPage,
			activities.SweepExpiryPageInput{Cursor: cursor, PageSize: in.PageSize, Now: in.Now}).Get(ctx, &out)
		if err != nil {
			return res, err
		}
		res.Pages++
		res.Visited += out.Visited
		res.Totals.Add(out.Totals) //workflowcheck:ignore Add walks the maps in sorted key order (internal/expiry/totals.go)
		if len(out.Revoke) > 0 {
			err := workflow.ExecuteActivity(pageOptions(ctx, "Revoke expired cards' certificates"), a.RevokeExpiredCertificates,
				activities.RevokeExpiredCertificatesInput{Serials: out.Revoke}).Get(ctx, nil)
			if err != nil {
				return res, err
			}
			res.Revoked += len(out.Revoke)
		}
		cursor = out.Cursor
		if out.Done {
			// The pages' counts miss the writes of a page whose answer
			// was lost (its retry finds them done): the result is
			// counted from the rows the sweep wrote.
			var counted expiry.Totals
			if err := workflow.ExecuteActivity(pageOptions(ctx, "Count what the sweep did"), a.CountExpirySweep, in.Now).Get(ctx, &counted); err != nil {
				return res, err
			}
			res.Totals = counted
			return res, nil
		}
	}
	res.Continuations++
	next := in
	next.Cursor, next.Result = cursor, res
	return res, workflow.NewContinueAsNewError(ctx, WorkflowType, next)
}
