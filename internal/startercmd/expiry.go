package startercmd

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/expiry"
	"github.com/cardflow/cardflow/workflows/expirysweep"
)

// ExpiryCmd groups the expiry commands.
type ExpiryCmd struct {
	Sweep ExpirySweepCmd `cmd:"" help:"Run one expiry sweep now (what the card-expiry-sweep Schedule runs daily) and print what it did: reminders per card type and mark, cards expired."`
}

// ExpirySweepCmd runs one sweep now and waits for it.
type ExpirySweepCmd struct {
	PageSize    int `name:"page-size" hidden:"" help:"Cards per page (default 1000)."`
	PagesPerRun int `name:"pages-per-run" hidden:"" help:"Pages per workflow run before it continues as new (default 200)."`
}

// sweepDoc is the --json answer of expiry sweep.
type sweepDoc struct {
	WorkflowID string        `json:"workflowId"`
	Now        time.Time     `json:"now"`
	Reminded   int           `json:"reminded"`
	Expired    int           `json:"expired"`
	Visited    int           `json:"visited"`
	Pages      int           `json:"pages"`
	Revoked    int           `json:"certificatesRevoked"`
	CardTypes  expiry.Totals `json:"cardTypes"`
}

// ManualSweepPrefix starts the workflow id of a sweep run by hand; the
// Schedule's runs are card-expiry-sweep-<time>.
const ManualSweepPrefix = "card-expiry-sweep-manual-"

// Run starts ExpirySweep with a fresh id, waits for its end (across its
// continue-as-new runs) and prints what it did.
func (c *ExpirySweepCmd) Run(e *env) error {
	if c.PageSize < 0 || c.PagesPerRun < 0 {
		return &usageError{"--page-size and --pages-per-run must be positive"}
	}
	cl, err := e.temporal()
	if err != nil {
		return temporalConnectionError(err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.g.Timeout)
	defer cancel()
	id := ManualSweepPrefix + uuid.NewString()
	run, err := cl.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: e.g.TaskQueue, StaticSummary: "Expiry sweep, run by hand",
	}, expirysweep.WorkflowType, expirysweep.Input{PageSize: c.PageSize, PagesPerRun: c.PagesPerRun})
	if err != nil {
		return temporalConnectionError(err)
	}
	if !e.g.JSON {
		fmt.Fprintf(e.out.stderr, "starter: expiry sweep %s started; waiting for it (--timeout %s)\n", id, e.g.Timeout)
	}
	var res expirysweep.Result
	if err := run.Get(ctx, &res); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("expiry sweep %s still runs after --timeout %s; it goes on: follow it with `temporal workflow describe --workflow-id %s`", id, e.g.Timeout, id)
		}
		return err
	}
	doc := sweepDoc{WorkflowID: id, Now: res.Now, Reminded: res.Totals.Reminded(), Expired: res.Totals.Expired(),
		Visited: res.Visited, Pages: res.Pages, Revoked: res.Revoked, CardTypes: res.Totals}
	if doc.CardTypes == nil {
		doc.CardTypes = expiry.Totals{}
	}
	if e.g.JSON {
		e.out.writeJSON(doc)
		return nil
	}
	fmt.Fprint(e.out.stdout, sweepText(doc))
	return nil
}

// sweepText is the readable answer: one line in all, one per card type.
func sweepText(d sweepDoc) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Expiry sweep %s as of %s: %d reminded, %d expired (%d cards looked at, %d pages)\n",
		d.WorkflowID, d.Now.UTC().Format("2006-01-02 15:04:05 UTC"), d.Reminded, d.Expired, d.Visited, d.Pages)
	for _, ct := range d.CardTypes.CardTypes() {
		t := d.CardTypes[ct]
		kinds := make([]string, 0, len(t.Reminded))
		for k := range t.Reminded {
			kinds = append(kinds, k)
		}
		sort.Slice(kinds, func(i, j int) bool { return markOrder(kinds[i]) > markOrder(kinds[j]) })
		parts := make([]string, 0, len(kinds))
		for _, k := range kinds {
			parts = append(parts, fmt.Sprintf("%s %d", k, t.Reminded[k]))
		}
		reminded := "none"
		if len(parts) > 0 {
			reminded = strings.Join(parts, ", ")
		}
		fmt.Fprintf(&b, "  %s: reminded %s; expired %d\n", ct, reminded, t.Expired)
	}
	if d.Revoked > 0 {
		fmt.Fprintf(&b, "  certificates revoked (they outlived their cards): %d\n", d.Revoked)
	}
	return b.String()
}

// markOrder sorts mark kinds longest first, daily last.
func markOrder(kind string) time.Duration {
	if kind == expiry.DailyKind {
		return -1
	}
	d, err := time.ParseDuration(kind)
	if err != nil {
		return 0
	}
	return d
}
