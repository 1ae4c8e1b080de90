package engine

import (
	"context"
	"sync/atomic"
	"time"
)

// Phase is one pass of a scale scenario over its cards: how long it took,
// what it cost in CPU, how many cards failed.
type Phase struct {
	Wall time.Duration
	// CPUMsPerCard is CPU milliseconds per card by process group.
	CPUMsPerCard map[string]float64
	Errors       int64
}

// RunPhase runs fn over cards at the run's concurrency, showing progress as
// label, and measures the phase.
func RunPhase(ctx context.Context, e *Env, label string, cards []Card, fn func(Card) error) Phase {
	return RunPhaseAt(ctx, e, label, e.Config.C, cards, fn)
}

// RunPhaseAt is RunPhase at concurrency c: a phase compared with something
// that has a concurrency of its own (an order's window) runs at that one.
func RunPhaseAt(ctx context.Context, e *Env, label string, c int, cards []Card, fn func(Card) error) Phase {
	var done, errs atomic.Int64
	stop := progress(e.Config, label, len(cards), &done)
	defer stop()
	return TimePhase(e, len(cards), func() (int64, error) {
		forEach(ctx, c, cards, &done, func(c Card) {
			if err := fn(c); err != nil {
				errs.Add(1)
			}
		})
		return errs.Load(), nil
	})
}

// TimePhase measures one pass over n cards that fn makes its own way (a
// batch order, say): its wall time, the CPU per card by process group and
// the errors fn counted.
func TimePhase(e *Env, n int, fn func() (errors int64, err error)) Phase {
	procs := e.cpuProcesses()
	c0 := procs.cpuSeconds()
	t0 := time.Now()
	errs, err := fn()
	wall := time.Since(t0)
	c1 := procs.cpuSeconds()
	if err != nil && errs == 0 {
		errs = int64(n)
	}
	p := Phase{Wall: wall, CPUMsPerCard: map[string]float64{}, Errors: errs}
	for _, g := range cpuGroups {
		p.CPUMsPerCard[g] = (c1[g] - c0[g]) * 1000 / float64(max(n, 1))
	}
	return p
}

// PercentileMs is the p-th percentile (0.99 for p99) of ds in
// milliseconds, 0 when ds is empty: the scale scenarios' latencies.
func PercentileMs(ds []time.Duration, p float64) float64 { return percentileMs(ds, p) }
