package main

import (
	"context"
	"fmt"
	"time"
)

// measurements accumulates the batches of a run, per system and scenario.
type measurements struct {
	samples map[string]*Sample
	// cpu is CPU seconds by "system scenario", then by process group.
	cpu               map[string]map[string]float64
	dbWrites, dbReads map[string]float64
	// settle is the time spent after cardflow's batches waiting for their
	// e-mails, by scenario.
	settle map[string]time.Duration
	// mailStuck is set once a batch's e-mails did not all go out in time:
	// later batches do not wait again (the verification reports it).
	mailStuck bool
}

func newMeasurements() *measurements {
	return &measurements{samples: map[string]*Sample{}, cpu: map[string]map[string]float64{},
		dbWrites: map[string]float64{}, dbReads: map[string]float64{}, settle: map[string]time.Duration{}}
}

func (m *measurements) sample(name string) *Sample {
	if m.samples[name] == nil {
		m.samples[name] = &Sample{Name: name}
	}
	return m.samples[name]
}

// batch drives one batch of one system and adds what it cost. A cardflow
// batch of approval cards with e-mail on ends when its e-mails are sent,
// not when its last card answered: the e-mails are part of a card's work,
// and if they went out during the next batch they would slow another system
// down and be counted against it.
func (m *measurements) batch(ctx context.Context, cfg Config, e *env, procs cpuProcesses, system, scenario string, batch []job, label string) error {
	var w0, r0 float64
	var err error
	if system == Cardflow {
		if w0, r0, err = dbCounts(ctx, e); err != nil {
			return err
		}
	}
	c0 := procs.cpuSeconds()
	samples := drive(ctx, cfg, e, system, scenario, batch, label)
	if system == Cardflow && cfg.Mail && scenario == Approval && !m.mailStuck {
		ids := make([]string, len(batch))
		for i, j := range batch {
			ids[i] = j.cardID
		}
		waited, counts, err := waitForMail(ctx, e.db, ids, 2*len(ids), mailWithin)
		if err != nil {
			return err
		}
		if expectedSent(counts) < 2*len(ids) {
			m.mailStuck = true
		}
		m.settle[scenario] += waited
		for _, s := range samples {
			s.Wall += waited
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "bench: %-36s e-mails sent %.2fs after the last card\n", label+" "+system, waited.Seconds())
		}
	}
	c1 := procs.cpuSeconds()
	if system == Cardflow {
		w1, r1, err := dbCounts(ctx, e)
		if err != nil {
			return err
		}
		m.dbWrites[scenario] += w1 - w0
		m.dbReads[scenario] += r1 - r0
	}
	key := system + " " + scenario
	if m.cpu[key] == nil {
		m.cpu[key] = map[string]float64{}
	}
	for _, g := range cpuGroups {
		m.cpu[key][g] += c1[g] - c0[g]
	}
	for _, s := range samples {
		m.sample(s.Name).add(s)
	}
	return nil
}

// fill puts the run's figures in the report: summaries, ratios, CPU and
// PostgreSQL per card.
func (m *measurements) fill(r *Report, cfg Config) {
	for _, s := range cfg.Scenarios {
		for _, system := range systems {
			ms := map[string]float64{}
			for g, sec := range m.cpu[system+" "+s] {
				ms[g] = sec * 1000 / float64(cfg.N)
			}
			r.CPU = append(r.CPU, CPUCost{System: system, Scenario: s, MsPerCard: ms})
		}
	}
	for _, s := range cfg.Scenarios {
		changes := 1
		if s == Approval {
			changes = 2
		}
		cost := DBCost{Scenario: s, StateChangesPerCard: changes, IncludesMail: cfg.Mail && s == Approval,
			WriteTransactions: m.dbWrites[s] / float64(cfg.N), Reads: m.dbReads[s] / float64(cfg.N)}
		if !cost.IncludesMail {
			one := cost.WriteTransactions == float64(changes)
			cost.OneTransactionPerChange = &one
		}
		r.Database = append(r.Database, cost)
	}
	for _, s := range cfg.Scenarios {
		steps := []string{"request"}
		if s == Approval {
			steps = append(steps, "approve")
		}
		steps = append(steps, "card")
		for _, step := range steps {
			for _, system := range systems {
				r.Summaries = append(r.Summaries, m.sample(opName(system, s, step)).summary())
			}
		}
		for _, against := range []string{Minimal, Baseline} {
			r.Ratios = append(r.Ratios, m.ratio(s, against))
		}
	}
	if cfg.Mail {
		r.Mail = &MailReport{SettleSeconds: map[string]float64{}}
		for s, d := range m.settle {
			r.Mail.SettleSeconds[s] = d.Seconds()
		}
	}
}

// ratio compares cardflow's whole cards with another system's in scenario.
func (m *measurements) ratio(scenario, against string) Ratio {
	div := func(a, b float64) float64 {
		if b <= 0 {
			return 0
		}
		return a / b
	}
	p99 := func(system, step string) float64 { return m.sample(opName(system, scenario, step)).summary().P99ms }
	c, o := m.sample(opName(Cardflow, scenario, "card")).summary(), m.sample(opName(against, scenario, "card")).summary()
	r := Ratio{Scenario: scenario, Against: against, Throughput: div(c.Throughput, o.Throughput), P99: div(c.P99ms, o.P99ms),
		RequestP99: div(p99(Cardflow, "request"), p99(against, "request"))}
	if scenario == Approval {
		r.ApproveP99 = div(p99(Cardflow, "approve"), p99(against, "approve"))
	}
	return r
}
