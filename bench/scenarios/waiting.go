package scenarios

import (
	"context"
	"fmt"
	"io"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/bench/systems"
)

// WaitingReport is the scale run: many cards waiting for approval at once,
// with everything on, as in the throughput run.
type WaitingReport struct {
	Setup           engine.Setup `json:"setup"`
	Cards           int          `json:"cards"`
	RequestSeconds  float64      `json:"requestSeconds"`
	ApproveSeconds  float64      `json:"approveSeconds"`
	ApprovalsPerSec float64      `json:"approvalsPerSecond"`
	// MailSeconds is how long after the last approval the last "decided"
	// e-mail went out (0 with -mail=false).
	MailSeconds float64       `json:"mailSecondsAfterApproval"`
	Before      engine.Memory `json:"before"`
	Waiting     engine.Memory `json:"waiting"`
	After       engine.Memory `json:"afterApproval"`
	// BytesPerWaiting is the resident memory each waiting card adds (the
	// target is at most 20 KB); HeapBytesPerWaiting its Go heap.
	BytesPerWaiting     float64 `json:"rssBytesPerWaitingCard"`
	HeapBytesPerWaiting float64 `json:"heapBytesPerWaitingCard"`
	// CPU is CPU milliseconds per card by process group, for the requests
	// ("request") and the approvals ("approve").
	CPU        map[string]map[string]float64 `json:"cpuMsPerCard"`
	MemProfile string                        `json:"memProfile,omitempty"`
	Mail       *engine.MailReport            `json:"mail,omitempty"`
	Errors     int64                         `json:"errors"`
}

// Waiting is the scale scenario: n cardflow cards waiting for approval at
// once, with everything on as in the comparison runs. It measures the bench
// process (cardflow's worker runs in it) with all of them waiting, and
// their "requested" e-mails sent, so that nothing is in flight; then it
// approves them all.
type Waiting struct{}

// Name is how -help lists it; -waiting N runs it.
func (Waiting) Name() string { return "waiting" }

// Description is its line in -help.
func (Waiting) Description() string {
	return "scale run (-waiting N): N cardflow cards waiting for approval at once (worker memory), then all approved"
}

// Run requests n cards that need one approval, measures memory with all of
// them waiting (and a heap profile with -memprofile), approves them all and
// verifies every card approved and every e-mail sent once.
func (Waiting) Run(ctx context.Context, e *engine.Env, subject engine.Running, n int) (engine.ScaleReport, error) {
	cfg := e.Config
	cs := engine.NewCards("wait-", n)
	if err := engine.AddUsers(ctx, e, cs); err != nil {
		return nil, err
	}
	ids := make([]string, n)
	for i, c := range cs {
		ids[i] = c.ID
	}
	r := &WaitingReport{Setup: e.Setup, Cards: n, CPU: map[string]map[string]float64{}}
	r.Before = engine.MeasureMemory()

	request := engine.RunPhase(ctx, e, "waiting: request", cs, func(c engine.Card) error {
		return subject.Request(ctx, c, engine.CardRequest{Approval: true})
	})
	r.RequestSeconds, r.CPU["request"] = request.Wall.Seconds(), request.CPUMsPerCard
	if cfg.Mail {
		if _, _, err := engine.WaitForMail(ctx, e.DB, ids, n, engine.MailWithin); err != nil {
			return r, err
		}
	}
	r.Waiting = engine.MeasureMemory()
	r.BytesPerWaiting = (r.Waiting.RSSMiB - r.Before.RSSMiB) * (1 << 20) / float64(n)
	r.HeapBytesPerWaiting = (r.Waiting.HeapMiB - r.Before.HeapMiB) * (1 << 20) / float64(n)
	if cfg.MemProfile != "" {
		if err := engine.WriteHeapProfile(cfg.MemProfile); err != nil {
			return r, err
		}
		r.MemProfile = cfg.MemProfile
	}

	approve := engine.RunPhase(ctx, e, "waiting: approve", cs, func(c engine.Card) error { return subject.Approve(ctx, c) })
	r.ApproveSeconds, r.CPU["approve"] = approve.Wall.Seconds(), approve.CPUMsPerCard
	r.ApprovalsPerSec = float64(n) / approve.Wall.Seconds()
	r.Errors = request.Errors + approve.Errors
	var problems []string
	if cfg.Mail {
		waited, _, err := engine.WaitForMail(ctx, e.DB, ids, 2*n, engine.MailWithin)
		if err != nil {
			return r, err
		}
		r.MailSeconds = waited.Seconds()
		r.Mail = &engine.MailReport{}
		if problems, err = engine.VerifyMail(ctx, e, ids, ids, r.Mail); err != nil {
			return r, err
		}
	}
	r.After = engine.MeasureMemory()

	var approved int
	if err := e.DB.QueryRowContext(ctx, `SELECT count(*) FROM cards WHERE state = 'approved' AND id = ANY($1::uuid[])`, pq.Array(ids)).Scan(&approved); err != nil {
		return r, err
	}
	if approved != n || r.Errors > 0 || len(problems) > 0 {
		return r, fmt.Errorf("verification failed: %d of %d cards approved, %d errors %v", approved, n, r.Errors, problems)
	}
	return r, nil
}

// Verified is the closing line of a verified run.
func (r *WaitingReport) Verified() string {
	if r.Mail == nil {
		return "verification: every card approved"
	}
	return "verification: every card approved; every e-mail sent once"
}

// Print is the scale run's table.
func (r *WaitingReport) Print(w io.Writer) {
	fmt.Fprintln(w)
	engine.PrintSetup(w, r.Setup)
	fmt.Fprintf(w, "\n%d cards waiting for approval\n", r.Cards)
	fmt.Fprintf(w, "%-34s %10.1f s (%.1f per s)\n", "request all", r.RequestSeconds, float64(r.Cards)/r.RequestSeconds)
	fmt.Fprintf(w, "%-34s %10.1f s (%.1f approvals per s)\n", "approve all", r.ApproveSeconds, r.ApprovalsPerSec)
	if r.Mail != nil {
		fmt.Fprintf(w, "%-34s %10.2f s after the last approval (%d messages in Mailpit)\n", "last e-mail sent", r.MailSeconds, r.Mail.MailpitMessages)
	}
	fmt.Fprintf(w, "\n%-34s %12s %12s %12s\n", "bench process (workers run in it)", "before", "waiting", "approved")
	fmt.Fprintf(w, "%-34s %12.1f %12.1f %12.1f\n", "resident memory MiB", r.Before.RSSMiB, r.Waiting.RSSMiB, r.After.RSSMiB)
	fmt.Fprintf(w, "%-34s %12.1f %12.1f %12.1f\n", "Go heap MiB (after GC)", r.Before.HeapMiB, r.Waiting.HeapMiB, r.After.HeapMiB)
	fmt.Fprintf(w, "%-34s %12.1f %12.1f %12.1f\n", "goroutine stacks MiB", r.Before.StacksMiB, r.Waiting.StacksMiB, r.After.StacksMiB)
	fmt.Fprintf(w, "%-34s %12d %12d %12d\n", "goroutines", r.Before.Goroutines, r.Waiting.Goroutines, r.After.Goroutines)
	fmt.Fprintf(w, "\n%-34s %10.1f KB resident, %.1f KB heap, %.1f KB stacks, %.1f goroutines\n", "per waiting card",
		r.BytesPerWaiting/1024, r.HeapBytesPerWaiting/1024, (r.Waiting.StacksMiB-r.Before.StacksMiB)*1024/float64(r.Cards),
		float64(r.Waiting.Goroutines-r.Before.Goroutines)/float64(r.Cards))
	if r.MemProfile != "" {
		fmt.Fprintf(w, "%-34s %s (go tool pprof -sample_index=inuse_space)\n", "heap profile, all waiting", r.MemProfile)
	}
	engine.PrintCPU(w, []engine.CPUCost{{System: systems.CardflowName, Scenario: "request", MsPerCard: r.CPU["request"]},
		{System: systems.CardflowName, Scenario: "approve", MsPerCard: r.CPU["approve"]}})
}
