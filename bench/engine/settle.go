package engine

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/workflowservice/v1"
)

// A batch is over when its work is, not when its last answer came: a
// workflow still finishes after its last update answered (cardflow's
// "decided" e-mail, every system's completion), and e-mails may go out even
// later (an outbox). Work left over would run during the next batch, slow
// another system down and be counted against it; so each batch, of every
// system alike, waits until none of its workflows runs and, for the
// subject's cards that send e-mails (with e-mail on), until they are sent.
// That time counts in the batch's wall time (throughput is cards completely
// done per second) and is reported.

// settleWithin bounds the wait; a batch that has not settled by then is
// left to the verification.
const settleWithin = 60 * time.Second

// settled is how long a batch took to settle, and whether it did.
type settled struct {
	workflows time.Duration
	mail      time.Duration
	ok        bool
}

// settleBatch waits for a batch of sys to settle: none of its workflows
// running and, when each card sends mailsPerCard e-mails, those sent.
func settleBatch(ctx context.Context, e *Env, sys Running, system string, cards []Card, mailsPerCard int) (settled, error) {
	var s settled
	start := time.Now()
	idle, err := noneRunning(ctx, sys, system)
	if err != nil {
		return s, err
	}
	s.workflows = time.Since(start)
	s.ok = idle
	if mailsPerCard == 0 {
		return s, nil
	}
	want := mailsPerCard * len(cards)
	waited, counts, err := WaitForMail(ctx, e.DB, cardIDs(cards), want, MailWithin)
	s.mail = waited
	s.ok = s.ok && expectedSent(counts) >= want
	return s, err
}

// noneRunning polls the server's visibility store until no workflow of
// the system's task queue runs, or settleWithin has passed.
func noneRunning(ctx context.Context, sys Running, system string) (bool, error) {
	query := fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running'", sys.TaskQueue())
	deadline := time.Now().Add(settleWithin)
	for {
		resp, err := sys.Client().CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err != nil {
			return false, fmt.Errorf("count %s's running workflows: %w", system, err)
		}
		if resp.GetCount() == 0 {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}
