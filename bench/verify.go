package main

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
)

// verify checks in PostgreSQL that every cardflow card of every scenario
// exists once, in its expected final state, with the expected number of
// audit events, requested by the bench's operator and decided by its
// approver; with e-mail on, that every approval card sent its e-mails
// (verifyMail); and that no request of any system failed.
func verify(ctx context.Context, cfg Config, e *env, jobs map[string][]job, samples map[string]*Sample, report *Report) error {
	var problems []string
	if report.Unsettled != "" {
		problems = append(problems, report.Unsettled)
	}
	if cfg.Mail {
		var approvalIDs, allIDs []string
		for scenario, js := range jobs {
			for _, j := range js {
				allIDs = append(allIDs, j.cardID)
				if scenario == Approval {
					approvalIDs = append(approvalIDs, j.cardID)
				}
			}
		}
		mailProblems, err := verifyMail(ctx, e, approvalIDs, allIDs, report.Mail)
		if err != nil {
			return err
		}
		problems = append(problems, mailProblems...)
	}
	for name, s := range samples {
		if s.Errors > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d errors", name, s.Errors))
		}
	}
	want := map[string]struct {
		state  cards.State
		events int
	}{NoApproval: {cards.StateApproved, 1}, Approval: {cards.StateApproved, 2}}
	for scenario, js := range jobs {
		ids := make([]string, 0, len(js))
		for _, j := range js {
			ids = append(ids, j.cardID)
		}
		var rows []struct {
			State  string `db:"state"`
			Cards  int    `db:"cards"`
			Events int    `db:"events"`
		}
		err := e.db.SelectContext(ctx, &rows, `
			SELECT c.state, count(DISTINCT c.id) AS cards, count(ev.id) AS events
			FROM cards c LEFT JOIN card_events ev ON ev.card_id = c.id
			WHERE c.id = ANY($1::uuid[]) GROUP BY c.state`, pq.Array(ids))
		if err != nil {
			return err
		}
		expect := want[scenario]
		total := 0
		for _, r := range rows {
			total += r.Cards
			if cards.State(r.State) != expect.state {
				problems = append(problems, fmt.Sprintf("%s: %d cards in state %s, want %s", scenario, r.Cards, r.State, expect.state))
			}
			if r.Events != r.Cards*expect.events {
				problems = append(problems, fmt.Sprintf("%s: %d audit events for %d cards, want %d each", scenario, r.Events, r.Cards, expect.events))
			}
		}
		// The checks ran against the bench's staff, not names the
		// workflow took on trust.
		var strangers int
		if err := e.db.GetContext(ctx, &strangers, `
			SELECT (SELECT count(*) FROM cards WHERE id = ANY($1::uuid[]) AND requested_by <> $2)
			     + (SELECT count(*) FROM card_events WHERE card_id = ANY($1::uuid[]) AND from_state = 'requested' AND actor <> $3)`,
			pq.Array(ids), benchOperator, benchApprover); err != nil {
			return err
		}
		if strangers > 0 {
			problems = append(problems, fmt.Sprintf("%s: %d cards requested or decided by someone other than %s and %s", scenario, strangers, benchOperator, benchApprover))
		}
		if total != len(js) {
			problems = append(problems, fmt.Sprintf("%s: %d cards stored, want %d", scenario, total, len(js)))
		}
	}
	var duplicates int
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT workflow_id FROM cards GROUP BY workflow_id HAVING count(*) > 1) d`).Scan(&duplicates); err != nil {
		return err
	}
	if duplicates > 0 {
		problems = append(problems, fmt.Sprintf("%d workflows wrote more than one card", duplicates))
	}
	if len(problems) > 0 {
		return fmt.Errorf("verification failed: %v", problems)
	}
	return nil
}
