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
	// settle is the time from each batch's last answer until it settled
	// (settle.go), by "system scenario".
	settle map[string]time.Duration
	// last is the last card of each "system scenario", whose history
	// the report shows.
	last map[string]job
	// unsettled names the batch that did not settle in time; later
	// batches do not wait again, and the verification fails.
	unsettled string
}

func newMeasurements() *measurements {
	return &measurements{samples: map[string]*Sample{}, cpu: map[string]map[string]float64{},
		dbWrites: map[string]float64{}, dbReads: map[string]float64{}, settle: map[string]time.Duration{},
		last: map[string]job{}}
}

func (m *measurements) sample(name string) *Sample {
	if m.samples[name] == nil {
		m.samples[name] = &Sample{Name: name}
	}
	return m.samples[name]
}

// batch drives one batch of one system and adds what it cost, up to the
// moment it settled (settle.go).
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
	if m.unsettled == "" {
		st, err := settleBatch(ctx, cfg, e, system, scenario, batch)
		if err != nil {
			return err
		}
		if !st.ok {
			m.unsettled = fmt.Sprintf("%s %s: workflows still running or e-mails unsent %s after the last answer", label, system, settleWithin)
		}
		m.settle[system+" "+scenario] += st.workflows + st.mail
		for _, s := range samples {
			s.Wall += st.workflows + st.mail
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "bench: %-36s settled %.2fs after the last answer (workflows closed %.2fs, e-mails %.2fs)\n",
				label+" "+system, (st.workflows + st.mail).Seconds(), st.workflows.Seconds(), st.mail.Seconds())
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
	if len(batch) > 0 {
		m.last[key] = batch[len(batch)-1]
	}
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
	r.Unsettled = m.unsettled
	r.SettleSeconds = map[string]float64{}
	for k, d := range m.settle {
		r.SettleSeconds[k] = d.Seconds()
	}
	if cfg.Mail {
		r.Mail = &MailReport{}
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

// histories counts the history of the last card of each system and scenario.
func (m *measurements) histories(ctx context.Context, e *env, scenarios []string) ([]HistoryShape, error) {
	var out []HistoryShape
	for _, s := range scenarios {
		for _, system := range systems {
			j, ok := m.last[system+" "+s]
			if !ok {
				continue
			}
			h, err := historyShape(ctx, e, system, s, j)
			if err != nil {
				return out, err
			}
			out = append(out, h)
		}
	}
	return out, nil
}
