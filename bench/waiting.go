package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// WaitingReport is the scale run: many cards waiting for approval at once.
type WaitingReport struct {
	Cards           int     `json:"cards"`
	RequestSeconds  float64 `json:"requestSeconds"`
	ApproveSeconds  float64 `json:"approveSeconds"`
	ApprovalsPerSec float64 `json:"approvalsPerSecond"`
	RSSBeforeMiB    float64 `json:"rssBeforeMiB"`
	RSSWaitingMiB   float64 `json:"rssWaitingMiB"`
	HeapBeforeMiB   float64 `json:"heapBeforeMiB"`
	HeapWaitingMiB  float64 `json:"heapWaitingMiB"`
	BytesPerWaiting float64 `json:"rssBytesPerWaitingCard"`
	Errors          int64   `json:"errors"`
}

// runWaiting requests n cards that need one approval, measures the worker
// process's memory with all of them waiting, then approves them all.
func runWaiting(ctx context.Context, cfg Config, n int) (*WaitingReport, error) {
	cfg.Scenarios = []string{Approval}
	e, err := setUp(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if _, err := e.db.ExecContext(ctx, `
		INSERT INTO users (id, given_name, surname, upn, email, state)
		SELECT 'wait-' || i, 'Given' || i, 'Surname' || i, 'u' || i || '@example.com', '', 'active'
		FROM generate_series(0, $1 - 1) i`, n); err != nil {
		return nil, err
	}
	jobs := make([]job, n)
	for i := range jobs {
		jobs[i] = job{cardID: uuid.NewString(), userID: fmt.Sprintf("wait-%d", i)}
	}
	r := &WaitingReport{Cards: n}
	runtime.GC()
	r.RSSBeforeMiB, r.HeapBeforeMiB = rssMiB(), heapMiB()

	var errs atomic.Int64
	each := func(label string, fn func(job) error) time.Duration {
		var done atomic.Int64
		stop := progress(cfg, label, n, &done)
		defer stop()
		return forEach(ctx, cfg.C, jobs, &done, func(j job) {
			if err := fn(j); err != nil {
				errs.Add(1)
			}
		})
	}
	r.RequestSeconds = each("waiting: request", func(j job) error {
		return requestCard(ctx, cfg, e.client, "cardflow", Approval, j)
	}).Seconds()
	runtime.GC()
	r.RSSWaitingMiB, r.HeapWaitingMiB = rssMiB(), heapMiB()
	r.BytesPerWaiting = (r.RSSWaitingMiB - r.RSSBeforeMiB) * 1024 * 1024 / float64(n)
	approve := each("waiting: approve all", func(j job) error { return approveCard(ctx, e.client, "cardflow", j) })
	r.ApproveSeconds = approve.Seconds()
	r.ApprovalsPerSec = float64(n) / approve.Seconds()
	r.Errors = errs.Load()

	var approved int
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM cards WHERE state = 'approved' AND user_id LIKE 'wait-%'`).Scan(&approved); err != nil {
		return r, err
	}
	if approved != n || r.Errors > 0 {
		return r, fmt.Errorf("verification failed: %d of %d cards approved, %d errors", approved, n, r.Errors)
	}
	return r, nil
}

// rssMiB is this process's resident set (the worker runs in it).
func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func heapMiB() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64()) / (1 << 20)
}
