package scenarios

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/bench/engine"
	"github.com/cardflow/cardflow/bench/systems"
	"github.com/cardflow/cardflow/workflows/expirysweep"
)

// The targets for the sweep on the 2-core machine: a sweep with
// nothing due in at most a second whatever the number of cards, and one
// with 10,000 due (reminders and expiries) in at most a minute.
const (
	expiryIdleTarget = time.Second
	expiryDueTarget  = 60 * time.Second
)

// expiryMailWithin bounds the wait for the due cards' e-mails in Mailpit
// after the sweep: the outbox sends them after the sweep has ended.
const expiryMailWithin = 5 * time.Minute

// Expiry is the expiry sweep at scale: n cards that can expire written
// straight into PostgreSQL (set-based SQL) with nothing due, one sweep,
// then ExpiryDue cards added due (half for a reminder, half past their
// validity) and a second sweep, each the ExpirySweep workflow on cardflow's
// worker started through the client and awaited, as `starter expiry
// sweep` runs it. The due cards' holders have e-mail addresses, and the run
// waits until Mailpit holds every e-mail; a third sweep then must find
// nothing new.
type Expiry struct{}

// Name selects it: -scenarios expiry (alone).
func (Expiry) Name() string { return "expiry" }

// Description is its line in -help.
func (Expiry) Description() string {
	return "scale run (-scenarios expiry, -expiry-cards N, -expiry-due M): one expiry sweep over N cards with nothing due, then one with M due (e-mails counted in Mailpit)"
}

// Size is the number of cards written with nothing due.
func (Expiry) Size(cfg engine.Config) int { return cfg.ExpiryCards }

// Sweep is one sweep's figures: its wall time and what its Result says.
type Sweep struct {
	WorkflowID    string  `json:"workflowId"`
	Seconds       float64 `json:"seconds"`
	Pages         int     `json:"pages"`
	Visited       int     `json:"visited"`
	Reminded      int     `json:"reminded"`
	Expired       int     `json:"expired"`
	Continuations int     `json:"continuations"`
}

// ExpiryReport is the expiry scale run's outcome.
type ExpiryReport struct {
	Setup engine.Setup `json:"setup"`
	Cards int          `json:"cards"`
	Due   int          `json:"due"`
	// WriteSeconds is how long writing (and analysing) the n cards took.
	WriteSeconds float64 `json:"writeSeconds"`
	// Warmup is the first sweep, on an empty table: the worker's first
	// workflow and activity tasks, not measured against a target.
	Warmup Sweep `json:"warmupSweep"`
	Idle   Sweep `json:"nothingDueSweep"`
	Busy   Sweep `json:"dueSweep"`
	Again  Sweep `json:"againSweep"`
	// MailSeconds is how long after the due sweep's start Mailpit held
	// every e-mail (0 with -mail=false).
	MailSeconds     float64 `json:"mailSecondsFromSweepStart"`
	MailpitMessages int     `json:"mailpitMessages"`
	// Notifications are the notifications rows by event and status.
	Notifications []NotificationCount `json:"notifications"`
	// CPU is CPU milliseconds by process group per action: "nothing due"
	// and "due" (the sweeps), "e-mail" (from the due sweep's end to the
	// last e-mail in Mailpit).
	CPU      map[string]map[string]float64 `json:"cpuMsPerAction"`
	Problems []string                      `json:"problems,omitempty"`
}

// NotificationCount is a group of notifications rows.
type NotificationCount struct {
	Event  string `db:"event" json:"event"`
	Status string `db:"status" json:"status"`
	N      int    `db:"n" json:"n"`
}

// Run writes the cards, sweeps with nothing due, adds the due cards,
// sweeps again, waits for their e-mails in Mailpit and verifies that each
// due card was reminded or expired once and mailed once.
func (Expiry) Run(ctx context.Context, e *engine.Env, subject engine.Running, n int) (engine.ScaleReport, error) {
	due := e.Config.ExpiryDue
	r := &ExpiryReport{Setup: e.Setup, Cards: n, Due: due, CPU: map[string]map[string]float64{}}
	say := func(format string, args ...any) {
		if e.Config.Progress != nil {
			fmt.Fprintf(e.Config.Progress, "bench: expiry: "+format+"\n", args...)
		}
	}
	var err error
	if r.Warmup, err = sweep(ctx, subject); err != nil {
		return r, fmt.Errorf("warm-up sweep: %w", err)
	}
	say("warm-up sweep on an empty table in %.2fs", r.Warmup.Seconds)

	start := time.Now()
	if err := writeExpiryCards(ctx, e, n, due); err != nil {
		return r, err
	}
	r.WriteSeconds = time.Since(start).Seconds()
	say("%d cards written in %.1fs, nothing due", n, r.WriteSeconds)

	idle, err := engine.MeasureOnce(e, func() (err error) { r.Idle, err = sweep(ctx, subject); return err })
	r.CPU["nothing due"] = idle.CPUMs
	if err != nil {
		return r, fmt.Errorf("sweep with nothing due: %w", err)
	}
	say("sweep with nothing due in %.3fs (%d visited, %d pages)", r.Idle.Seconds, r.Idle.Visited, r.Idle.Pages)

	if err := writeDueCards(ctx, e, due); err != nil {
		return r, err
	}
	busyStart := time.Now()
	busy, err := engine.MeasureOnce(e, func() (err error) { r.Busy, err = sweep(ctx, subject); return err })
	r.CPU["due"] = busy.CPUMs
	if err != nil {
		return r, fmt.Errorf("sweep with %d due: %w", due, err)
	}
	say("sweep with %d due in %.1fs (%d reminded, %d expired)", due, r.Busy.Seconds, r.Busy.Reminded, r.Busy.Expired)

	if e.Mail != nil {
		mail, err := engine.MeasureOnce(e, func() (err error) {
			r.MailpitMessages, err = waitForMailpit(ctx, e, due, expiryMailWithin)
			return err
		})
		r.CPU["e-mail"] = mail.CPUMs
		r.MailSeconds = time.Since(busyStart).Seconds()
		if err != nil {
			return r, err
		}
		say("%d e-mails in Mailpit %.1fs after the sweep's start", r.MailpitMessages, r.MailSeconds)
	}
	if r.Again, err = sweep(ctx, subject); err != nil {
		return r, fmt.Errorf("sweep again: %w", err)
	}
	r.Problems, err = verifyExpiry(ctx, e, r)
	if err != nil {
		return r, err
	}
	if len(r.Problems) > 0 {
		return r, fmt.Errorf("verification failed: %v", r.Problems)
	}
	return r, nil
}

// sweep runs one ExpirySweep on the subject's worker as `starter expiry
// sweep` does (a fresh workflow id, the zero Input, the result awaited
// across its continue-as-new runs) and times it from the start request to
// the result.
func sweep(ctx context.Context, subject engine.Running) (Sweep, error) {
	id := "card-expiry-sweep-bench-" + uuid.NewString()
	start := time.Now()
	run, err := subject.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: id, TaskQueue: subject.TaskQueue(), StaticSummary: "Expiry sweep, run by the bench",
	}, expirysweep.WorkflowType, expirysweep.Input{})
	if err != nil {
		return Sweep{WorkflowID: id}, err
	}
	var res expirysweep.Result
	if err := run.Get(ctx, &res); err != nil {
		return Sweep{WorkflowID: id}, err
	}
	return Sweep{WorkflowID: id, Seconds: time.Since(start).Seconds(), Pages: res.Pages, Visited: res.Visited,
		Reminded: res.Totals.Reminded(), Expired: res.Totals.Expired(), Continuations: res.Continuations}, nil
}

// writeExpiryCards writes the holders (max(due, 1), with e-mail
// addresses) and n active cards spread over them, valid from 100 days on
// (a second apart): beyond the longest reminder mark, so nothing is due.
// It analyses the table so that the planner knows it.
func writeExpiryCards(ctx context.Context, e *engine.Env, n, due int) error {
	holders := max(due, 1)
	if _, err := e.DB.ExecContext(ctx, `INSERT INTO users (id, given_name, surname, upn, email, state)
		SELECT 'exp-' || g, 'Holder', 'H' || g, 'exp-' || g || '@example.com', 'exp-' || g || '@mail.example.com', 'active'
		FROM generate_series(1, $1) g`, holders); err != nil {
		return fmt.Errorf("write %d holders: %w", holders, err)
	}
	if _, err := e.DB.ExecContext(ctx, `INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, valid_until)
		SELECT gen_random_uuid(), 'exp-' || (1 + g % $2), 'standard', 'Holder', 'exp@example.com', 'active', $3, 'bench-expiry',
			now() + interval '100 days' + g * interval '1 second'
		FROM generate_series(1, $1) g`, n, holders, engine.Operator); err != nil {
		return fmt.Errorf("write %d cards: %w", n, err)
	}
	_, err := e.DB.ExecContext(ctx, `ANALYZE cards`)
	return err
}

// writeDueCards adds due active cards, one per holder: the first half
// valid for 50 more days (inside the 60-day mark: one reminder each), the
// rest past their validity by a day (expired).
func writeDueCards(ctx context.Context, e *engine.Env, due int) error {
	_, err := e.DB.ExecContext(ctx, `INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, valid_until)
		SELECT gen_random_uuid(), 'exp-' || g, 'standard', 'Holder', 'exp@example.com', 'active', $3, 'bench-expiry',
			CASE WHEN g <= $2 THEN now() + interval '50 days' ELSE now() - interval '1 day' END
		FROM generate_series(1, $1) g`, due, due/2, engine.Operator)
	if err != nil {
		return fmt.Errorf("write %d due cards: %w", due, err)
	}
	return nil
}

// waitForMailpit polls Mailpit's API until it holds want messages (nothing
// else mails in this run) or within has passed, and returns its count.
func waitForMailpit(ctx context.Context, e *engine.Env, want int, within time.Duration) (int, error) {
	deadline := time.Now().Add(within)
	for {
		got, err := e.Mail.Total(ctx)
		if err != nil {
			return got, err
		}
		if got >= want {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("%d of %d e-mails in Mailpit after %s", got, want, within)
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// verifyExpiry checks the outcome in PostgreSQL and Mailpit: nothing
// visited with nothing due, each due card reminded or expired once (in the
// rows as in the sweep's result), one e-mail each, sent and in Mailpit,
// and the third sweep finding nothing new.
func verifyExpiry(ctx context.Context, e *engine.Env, r *ExpiryReport) ([]string, error) {
	var problems []string
	remind, expire := r.Due/2, r.Due-r.Due/2
	if r.Idle.Visited != 0 || r.Idle.Reminded != 0 || r.Idle.Expired != 0 {
		problems = append(problems, fmt.Sprintf("nothing due, yet the sweep visited %d, reminded %d, expired %d", r.Idle.Visited, r.Idle.Reminded, r.Idle.Expired))
	}
	if r.Busy.Reminded != remind || r.Busy.Expired != expire {
		problems = append(problems, fmt.Sprintf("the due sweep reminded %d and expired %d; want %d and %d", r.Busy.Reminded, r.Busy.Expired, remind, expire))
	}
	if r.Again.Reminded != 0 || r.Again.Expired != 0 {
		problems = append(problems, fmt.Sprintf("the sweep after reminded %d and expired %d; want nothing new", r.Again.Reminded, r.Again.Expired))
	}
	var reminders, expired, audit int
	err := e.DB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM card_reminders), (SELECT count(*) FROM cards WHERE state = 'expired'),
		(SELECT count(*) FROM card_events WHERE to_state = 'expired')`).Scan(&reminders, &expired, &audit)
	if err != nil {
		return problems, err
	}
	if reminders != remind || expired != expire || audit != expire {
		problems = append(problems, fmt.Sprintf("PostgreSQL: %d reminders, %d cards expired, %d expiry audit rows; want %d, %d, %d", reminders, expired, audit, remind, expire, expire))
	}
	if err := e.DB.SelectContext(ctx, &r.Notifications, `SELECT event, status, count(*) AS n FROM notifications GROUP BY 1, 2 ORDER BY 1, 2`); err != nil {
		return problems, err
	}
	if e.Mail == nil {
		return problems, nil
	}
	sent := 0
	for _, c := range r.Notifications {
		if c.Status != "sent" {
			problems = append(problems, fmt.Sprintf("e-mail: %d %s e-mails are %s", c.N, c.Event, c.Status))
			continue
		}
		sent += c.N
	}
	total, err := e.Mail.Total(ctx)
	if err != nil {
		return problems, err
	}
	r.MailpitMessages = total
	if sent != r.Due || total != r.Due {
		problems = append(problems, fmt.Sprintf("e-mail: %d sent, %d in Mailpit; want %d each (one per due card)", sent, total, r.Due))
	}
	return problems, nil
}

// Verified is the closing line of a verified run.
func (r *ExpiryReport) Verified() string {
	if r.MailpitMessages == 0 {
		return "verification: nothing visited with nothing due; every due card reminded or expired once"
	}
	return "verification: nothing visited with nothing due; every due card reminded or expired once and mailed once"
}

// Print is the expiry run's table, each figure beside its target.
func (r *ExpiryReport) Print(w io.Writer) {
	fmt.Fprintln(w)
	engine.PrintSetup(w, r.Setup)
	fmt.Fprintf(w, "\nExpiry sweep over %d cards (written in %.1f s; warm-up sweep on an empty table %.2f s)\n", r.Cards, r.WriteSeconds, r.Warmup.Seconds)
	fmt.Fprintf(w, "%-30s %10s %10s %8s %9s %9s %9s\n", "sweep", "wall", "target", "pages", "visited", "reminded", "expired")
	row := func(name string, s Sweep, target string) {
		fmt.Fprintf(w, "%-30s %8.3f s %10s %8d %9d %9d %9d\n", name, s.Seconds, target, s.Pages, s.Visited, s.Reminded, s.Expired)
	}
	row("nothing due", r.Idle, fmt.Sprintf("≤ %.0f s", expiryIdleTarget.Seconds()))
	row(fmt.Sprintf("%d due", r.Due), r.Busy, fmt.Sprintf("≤ %.0f s", expiryDueTarget.Seconds()))
	row("again (nothing new)", r.Again, "")
	if r.MailSeconds > 0 {
		fmt.Fprintf(w, "%-30s %8.1f s %10s   %d messages in Mailpit (its API)\n", "due sweep + e-mails delivered", r.MailSeconds,
			fmt.Sprintf("≤ %.0f s", expiryDueTarget.Seconds()), r.MailpitMessages)
	}
	costs := []engine.CPUCost{{System: systems.CardflowName, Scenario: "nothing due", MsPerCard: r.CPU["nothing due"]},
		{System: systems.CardflowName, Scenario: "due", MsPerCard: r.CPU["due"]}}
	if m, ok := r.CPU["e-mail"]; ok {
		costs = append(costs, engine.CPUCost{System: systems.CardflowName, Scenario: "e-mail", MsPerCard: m})
	}
	engine.PrintCPUPer(w, "action", costs)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
}
