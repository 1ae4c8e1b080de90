package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// WaitingReport is the scale run: many cards waiting for approval at once,
// with everything on, as in the throughput run.
type WaitingReport struct {
	Setup           Setup   `json:"setup"`
	Cards           int     `json:"cards"`
	RequestSeconds  float64 `json:"requestSeconds"`
	ApproveSeconds  float64 `json:"approveSeconds"`
	ApprovalsPerSec float64 `json:"approvalsPerSecond"`
	// MailSeconds is how long after the last approval the last "decided"
	// e-mail went out (0 with -mail=false).
	MailSeconds float64 `json:"mailSecondsAfterApproval"`
	Before      Memory  `json:"before"`
	Waiting     Memory  `json:"waiting"`
	After       Memory  `json:"afterApproval"`
	// BytesPerWaiting is the resident memory each waiting card adds (the
	// target is at most 20 KB); HeapBytesPerWaiting its Go heap.
	BytesPerWaiting     float64 `json:"rssBytesPerWaitingCard"`
	HeapBytesPerWaiting float64 `json:"heapBytesPerWaitingCard"`
	// CPU is CPU milliseconds per card by process group, for the requests
	// ("request") and the approvals ("approve").
	CPU        map[string]map[string]float64 `json:"cpuMsPerCard"`
	MemProfile string                        `json:"memProfile,omitempty"`
	Mail       *MailReport                   `json:"mail,omitempty"`
	Errors     int64                         `json:"errors"`
}

// runWaiting requests n cards that need one approval, measures the worker
// process's memory with all of them waiting (and their "requested" e-mails
// sent, so that nothing is in flight), then approves them all.
func runWaiting(ctx context.Context, cfg Config, n int) (*WaitingReport, error) {
	cfg.Scenarios = []string{Approval}
	e, err := setUp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if cfg.Progress != nil {
		printSetup(cfg.Progress, e.setup)
	}
	if _, err := e.db.ExecContext(ctx, `
		INSERT INTO users (id, given_name, surname, upn, email, state)
		SELECT 'wait-' || i, 'Given' || i, 'Surname' || i, 'u' || i || '@example.com', '', 'active'
		FROM generate_series(0, $1 - 1) i`, n); err != nil {
		return nil, err
	}
	jobs := make([]job, n)
	ids := make([]string, n)
	for i := range jobs {
		jobs[i] = job{cardID: uuid.NewString(), userID: fmt.Sprintf("wait-%d", i)}
		ids[i] = jobs[i].cardID
	}
	r := &WaitingReport{Setup: e.setup, Cards: n, CPU: map[string]map[string]float64{}}
	procs := e.cpuProcesses()
	r.Before = measureMemory()

	var errs atomic.Int64
	each := func(phase string, fn func(job) error) time.Duration {
		var done atomic.Int64
		stop := progress(cfg, "waiting: "+phase, n, &done)
		defer stop()
		c0 := procs.cpuSeconds()
		wall := forEach(ctx, cfg.C, jobs, &done, func(j job) {
			if err := fn(j); err != nil {
				errs.Add(1)
			}
		})
		c1 := procs.cpuSeconds()
		r.CPU[phase] = map[string]float64{}
		for _, g := range cpuGroups {
			r.CPU[phase][g] = (c1[g] - c0[g]) * 1000 / float64(n)
		}
		return wall
	}
	r.RequestSeconds = each("request", func(j job) error { return requestCard(ctx, cfg, e, Cardflow, Approval, j) }).Seconds()
	if cfg.Mail {
		if _, _, err := waitForMail(ctx, e.db, ids, n, mailWithin); err != nil {
			return r, err
		}
	}
	r.Waiting = measureMemory()
	r.BytesPerWaiting = (r.Waiting.RSSMiB - r.Before.RSSMiB) * (1 << 20) / float64(n)
	r.HeapBytesPerWaiting = (r.Waiting.HeapMiB - r.Before.HeapMiB) * (1 << 20) / float64(n)
	if cfg.MemProfile != "" {
		if err := writeHeapProfile(cfg.MemProfile); err != nil {
			return r, err
		}
		r.MemProfile = cfg.MemProfile
	}

	approve := each("approve", func(j job) error { return approveCard(ctx, e, Cardflow, j) })
	r.ApproveSeconds = approve.Seconds()
	r.ApprovalsPerSec = float64(n) / approve.Seconds()
	r.Errors = errs.Load()
	var problems []string
	if cfg.Mail {
		waited, _, err := waitForMail(ctx, e.db, ids, 2*n, mailWithin)
		if err != nil {
			return r, err
		}
		r.MailSeconds = waited.Seconds()
		r.Mail = &MailReport{}
		if problems, err = verifyMail(ctx, e, ids, ids, r.Mail); err != nil {
			return r, err
		}
	}
	r.After = measureMemory()

	var approved int
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM cards WHERE state = 'approved' AND id = ANY($1::uuid[])`, pq.Array(ids)).Scan(&approved); err != nil {
		return r, err
	}
	if approved != n || r.Errors > 0 || len(problems) > 0 {
		return r, fmt.Errorf("verification failed: %d of %d cards approved, %d errors %v", approved, n, r.Errors, problems)
	}
	return r, nil
}

// printWaiting is the scale run's table.
func printWaiting(w io.Writer, r *WaitingReport) {
	fmt.Fprintln(w)
	printSetup(w, r.Setup)
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
	printCPU(w, []CPUCost{{System: Cardflow, Scenario: "request", MsPerCard: r.CPU["request"]}, {System: Cardflow, Scenario: "approve", MsPerCard: r.CPU["approve"]}})
}
