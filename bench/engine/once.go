package engine

import "time"

// Once is one action of a scale scenario measured as a whole (an expiry
// sweep over a million cards, say): its wall time and the CPU milliseconds
// each process group spent on it, where RunPhase would divide by cards.
type Once struct {
	Wall  time.Duration
	CPUMs map[string]float64
}

// MeasureOnce runs fn once and measures its wall time and CPU by process
// group (bench, Temporal server, PostgreSQL, Mailpit), so that a one-shot
// load shows where its time went like the card scenarios do.
func MeasureOnce(e *Env, fn func() error) (Once, error) {
	procs := e.cpuProcesses()
	c0 := procs.cpuSeconds()
	start := time.Now()
	err := fn()
	o := Once{Wall: time.Since(start), CPUMs: map[string]float64{}}
	c1 := procs.cpuSeconds()
	for _, g := range cpuGroups {
		o.CPUMs[g] = (c1[g] - c0[g]) * 1000
	}
	return o, err
}
