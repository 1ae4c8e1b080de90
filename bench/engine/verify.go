package engine

import (
	"context"
	"fmt"
)

// verify checks the run: every batch settled, no request of any system
// failed, each scenario's own checks of the subject's cards (Verify), with
// e-mail on that every mailing card sent its e-mails once (VerifyMail), and
// that no workflow wrote more than one card.
func verify(ctx context.Context, cfg Config, e *Env, scenarios []CardScenario, subjectCards map[string][]Card, samples map[string]*Sample, report *Report) error {
	var problems []string
	if report.Unsettled != "" {
		problems = append(problems, report.Unsettled)
	}
	if cfg.Mail {
		var mailingIDs, allIDs []string
		for _, s := range scenarios {
			ids := cardIDs(subjectCards[s.Name()])
			allIDs = append(allIDs, ids...)
			if s.MailsPerCard() > 0 {
				mailingIDs = append(mailingIDs, ids...)
			}
		}
		mailProblems, err := VerifyMail(ctx, e, mailingIDs, allIDs, report.Mail)
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
	for _, s := range scenarios {
		found, err := s.Verify(ctx, e, subjectCards[s.Name()])
		if err != nil {
			return err
		}
		problems = append(problems, found...)
	}
	var duplicates int
	if err := e.DB.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT workflow_id FROM cards GROUP BY workflow_id HAVING count(*) > 1) d`).Scan(&duplicates); err != nil {
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
