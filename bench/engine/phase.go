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
	var done, errs atomic.Int64
	stop := progress(e.Config, label, len(cards), &done)
	defer stop()
	procs := e.cpuProcesses()
	c0 := procs.cpuSeconds()
	wall := forEach(ctx, e.Config.C, cards, &done, func(c Card) {
		if err := fn(c); err != nil {
			errs.Add(1)
		}
	})
	c1 := procs.cpuSeconds()
	p := Phase{Wall: wall, CPUMsPerCard: map[string]float64{}, Errors: errs.Load()}
	for _, g := range cpuGroups {
		p.CPUMsPerCard[g] = (c1[g] - c0[g]) * 1000 / float64(len(cards))
	}
	return p
}
