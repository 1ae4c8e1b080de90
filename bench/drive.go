package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// drive runs one batch at concurrency C and returns its samples: one per
// step, and "card" for the whole cycle (its wall time gives throughput).
func drive(ctx context.Context, cfg Config, e *env, system, scenario string, batch []job, label string) []*Sample {
	request := &Sample{Name: opName(system, scenario, "request")}
	approve := &Sample{Name: opName(system, scenario, "approve")}
	card := &Sample{Name: opName(system, scenario, "card")}
	var mu sync.Mutex
	var done atomic.Int64
	stopProgress := progress(cfg, fmt.Sprintf("%s %s", label, system), len(batch), &done)
	wall := forEach(ctx, cfg.C, batch, &done, func(j job) {
		t0 := time.Now()
		reqErr := requestCard(ctx, cfg, e, system, scenario, j)
		t1 := time.Now()
		var apprErr error
		if scenario == Approval && reqErr == nil {
			apprErr = approveCard(ctx, e, system, j)
		}
		t2 := time.Now()
		mu.Lock()
		defer mu.Unlock()
		record(request, t1.Sub(t0), reqErr)
		if scenario == Approval {
			record(approve, t2.Sub(t1), errors.Join(reqErr, apprErr))
		}
		record(card, t2.Sub(t0), errors.Join(reqErr, apprErr))
	})
	stopProgress()
	request.Wall, approve.Wall, card.Wall = wall, wall, wall
	out := []*Sample{request, card}
	if scenario == Approval {
		out = append(out, approve)
	}
	return out
}

func record(s *Sample, d time.Duration, err error) {
	s.Count++
	if err != nil {
		s.Errors++
		return
	}
	s.Latencies = append(s.Latencies, d)
}

// progress prints done/total and the rate every second until stopped.
func progress(cfg Config, label string, total int, done *atomic.Int64) func() {
	if cfg.Progress == nil {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				n := done.Load()
				fmt.Fprintf(cfg.Progress, "bench: %-36s %5d/%d done in %.1fs (%.0f/s)\n", label, n, total, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
				return
			case <-tick.C:
				n := done.Load()
				fmt.Fprintf(cfg.Progress, "bench: %-36s %5d/%d (%.0f/s)\n", label, n, total, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	return func() { close(stop); <-finished }
}
