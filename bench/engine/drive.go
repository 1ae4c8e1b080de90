package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// drive runs one batch of sys in scenario at concurrency C and returns its
// samples: one per step, and "card" for the whole of each card (its wall
// time gives throughput). A step a card did not reach because an earlier
// one failed counts as failed too, so that every step has every card.
func drive(ctx context.Context, cfg Config, sys Running, system string, scenario CardScenario, batch []Card, label string) []*Sample {
	steps := scenario.Steps()
	samples := make(map[string]*Sample, len(steps))
	out := make([]*Sample, 0, len(steps)+1)
	for _, step := range append(slices.Clone(steps), "card") {
		samples[step] = &Sample{Name: opName(system, scenario.Name(), step)}
		out = append(out, samples[step])
	}
	var mu sync.Mutex
	var done atomic.Int64
	stopProgress := progress(cfg, fmt.Sprintf("%s %s", label, system), len(batch), &done)
	wall := forEach(ctx, cfg.C, batch, &done, func(card Card) {
		type timed struct {
			d   time.Duration
			err error
		}
		took := make(map[string]timed, len(steps))
		var failed error
		t0 := time.Now()
		scenario.Run(ctx, sys, card, func(step string, do func() error) error {
			t := time.Now()
			err := do()
			took[step] = timed{time.Since(t), err}
			failed = errors.Join(failed, err)
			return err
		})
		whole := time.Since(t0)
		mu.Lock()
		defer mu.Unlock()
		for _, step := range steps {
			t, ran := took[step]
			switch {
			case ran && t.err != nil:
				record(samples[step], 0, t.err)
			case ran:
				record(samples[step], t.d, nil)
			default:
				record(samples[step], 0, errors.Join(failed, fmt.Errorf("step %s not run", step)))
			}
		}
		record(samples["card"], whole, failed)
	})
	stopProgress()
	for _, s := range out {
		s.Wall = wall
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
