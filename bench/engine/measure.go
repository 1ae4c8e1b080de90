package engine

import (
	"context"
	"fmt"
	"slices"
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
	last map[string]Card
	// recent are the last cards of each "system scenario" (at most
	// activitySampleCards), whose activities the report times.
	recent map[string][]Card
	// rounds are the whole-card throughput of each batch, in the order
	// run, by "system scenario": the i-th of each system is round i.
	rounds map[string][]float64
	// unsettled names the batch that did not settle in time; later
	// batches do not wait again, and the verification fails.
	unsettled string
}

func newMeasurements() *measurements {
	return &measurements{samples: map[string]*Sample{}, cpu: map[string]map[string]float64{},
		dbWrites: map[string]float64{}, dbReads: map[string]float64{}, settle: map[string]time.Duration{},
		last: map[string]Card{}, recent: map[string][]Card{}, rounds: map[string][]float64{}}
}

func (m *measurements) sample(name string) *Sample {
	if m.samples[name] == nil {
		m.samples[name] = &Sample{Name: name}
	}
	return m.samples[name]
}

// batch is one batch to drive: a system, a scenario, the cards, and whether
// the system is the subject (whose PostgreSQL work and e-mails count).
type batch struct {
	system   string
	subject  bool
	scenario CardScenario
	cards    []Card
	label    string
}

// batch drives one batch and adds what it cost, up to the moment it
// settled (settle.go).
func (m *measurements) batch(ctx context.Context, cfg Config, e *Env, procs cpuProcesses, b batch) error {
	sys := e.Running(b.system)
	counter, counts := sys.(DBCounter)
	counts = counts && b.subject
	var w0, r0 float64
	var err error
	if counts {
		if w0, r0, err = counter.DBCounts(ctx); err != nil {
			return err
		}
	}
	c0 := procs.cpuSeconds()
	samples := drive(ctx, cfg, sys, b.system, b.scenario, b.cards, b.label)
	if m.unsettled == "" {
		mails := 0
		if b.subject && cfg.Mail {
			mails = b.scenario.MailsPerCard()
		}
		st, err := settleBatch(ctx, e, sys, b.system, b.cards, mails)
		if err != nil {
			return err
		}
		if !st.ok {
			m.unsettled = fmt.Sprintf("%s %s: workflows still running or e-mails unsent %s after the last answer", b.label, b.system, settleWithin)
		}
		m.settle[b.system+" "+b.scenario.Name()] += st.workflows + st.mail
		for _, s := range samples {
			s.Wall += st.workflows + st.mail
		}
		if cfg.Progress != nil {
			fmt.Fprintf(cfg.Progress, "bench: %-36s settled %.2fs after the last answer (workflows closed %.2fs, e-mails %.2fs)\n",
				b.label+" "+b.system, (st.workflows + st.mail).Seconds(), st.workflows.Seconds(), st.mail.Seconds())
		}
	}
	c1 := procs.cpuSeconds()
	if counts {
		w1, r1, err := counter.DBCounts(ctx)
		if err != nil {
			return err
		}
		m.dbWrites[b.scenario.Name()] += w1 - w0
		m.dbReads[b.scenario.Name()] += r1 - r0
	}
	key := b.system + " " + b.scenario.Name()
	if len(b.cards) > 0 {
		m.last[key] = b.cards[len(b.cards)-1]
		recent := append(m.recent[key], b.cards...)
		m.recent[key] = recent[max(0, len(recent)-activitySampleCards):]
	}
	if m.cpu[key] == nil {
		m.cpu[key] = map[string]float64{}
	}
	for _, g := range cpuGroups {
		m.cpu[key][g] += c1[g] - c0[g]
	}
	for _, s := range samples {
		m.sample(s.Name).add(s)
		if s.Name == opName(b.system, b.scenario.Name(), "card") && s.Wall > 0 {
			m.rounds[key] = append(m.rounds[key], float64(s.Count)/s.Wall.Seconds())
		}
	}
	return nil
}

// fill puts the run's figures in the report: summaries, ratios, CPU and
// PostgreSQL per card.
func (m *measurements) fill(r *Report, cfg Config, lineup Lineup, scenarios []CardScenario) {
	systems := lineup.names()
	for _, s := range scenarios {
		for _, system := range systems {
			ms := map[string]float64{}
			for g, sec := range m.cpu[system+" "+s.Name()] {
				ms[g] = sec * 1000 / float64(cfg.N)
			}
			r.CPU = append(r.CPU, CPUCost{System: system, Scenario: s.Name(), MsPerCard: ms})
		}
	}
	for _, s := range scenarios {
		changes := s.StateChanges()
		cost := DBCost{Scenario: s.Name(), StateChangesPerCard: changes, ApprovalWritesPerCard: approvalWrites(s),
			IncludesMail:       cfg.Mail && s.MailsPerCard() > 0,
			IncludesProduction: needsProduction([]CardScenario{s}),
			WriteTransactions:  m.dbWrites[s.Name()] / float64(cfg.N), Reads: m.dbReads[s.Name()] / float64(cfg.N)}
		if !cost.IncludesMail && !cost.IncludesProduction {
			one := cost.WriteTransactions == float64(changes+cost.ApprovalWritesPerCard)
			cost.OneTransactionPerChange = &one
		}
		r.Database = append(r.Database, cost)
	}
	for _, s := range scenarios {
		for _, step := range append(slices.Clone(s.Steps()), "card") {
			for _, system := range systems {
				r.Summaries = append(r.Summaries, m.sample(opName(system, s.Name(), step)).summary())
			}
		}
		for _, c := range lineup.Comparisons {
			r.Ratios = append(r.Ratios, m.ratio(lineup.Subject, s, c.Against))
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

// ratio compares the subject's whole cards with another system's in a
// scenario.
func (m *measurements) ratio(subject string, scenario CardScenario, against string) Ratio {
	div := func(a, b float64) float64 {
		if b <= 0 {
			return 0
		}
		return a / b
	}
	name := scenario.Name()
	p99 := func(system, step string) float64 { return m.sample(opName(system, name, step)).summary().P99ms }
	c, o := m.sample(opName(subject, name, "card")).summary(), m.sample(opName(against, name, "card")).summary()
	r := Ratio{Scenario: name, Against: against, Throughput: div(c.Throughput, o.Throughput), P99: div(c.P99ms, o.P99ms),
		RequestP99: div(p99(subject, "request"), p99(against, "request"))}
	subjectRounds, otherRounds := m.rounds[subject+" "+name], m.rounds[against+" "+name]
	for i := range min(len(subjectRounds), len(otherRounds)) {
		r.PerRound = append(r.PerRound, div(subjectRounds[i], otherRounds[i]))
	}
	for step, into := range map[string]*float64{"approve": &r.ApproveP99, "issue": &r.IssueP99, "activate": &r.ActivateP99} {
		if slices.Contains(scenario.Steps(), step) {
			*into = div(p99(subject, step), p99(against, step))
		}
	}
	return r
}

// histories counts the history of the last card of each system and scenario.
func (m *measurements) histories(ctx context.Context, e *Env, lineup Lineup, scenarios []CardScenario) ([]HistoryShape, error) {
	var out []HistoryShape
	for _, s := range scenarios {
		for _, system := range lineup.names() {
			card, ok := m.last[system+" "+s.Name()]
			if !ok {
				continue
			}
			h, err := historyShape(ctx, e.Running(system), system, s.Name(), card)
			if err != nil {
				return out, err
			}
			out = append(out, h)
		}
	}
	return out, nil
}

// activities times the activities of the last cards of each system in the
// scenarios whose cards have operations (ProductionScenario).
func (m *measurements) activities(ctx context.Context, e *Env, lineup Lineup, scenarios []CardScenario) ([]ActivityTime, error) {
	var out []ActivityTime
	for _, s := range scenarios {
		if !needsProduction([]CardScenario{s}) {
			continue
		}
		for _, system := range lineup.names() {
			ts, err := activityTimes(ctx, e.Running(system), system, s.Name(), m.recent[system+" "+s.Name()])
			if err != nil {
				return out, err
			}
			out = append(out, ts...)
		}
	}
	return out, nil
}
