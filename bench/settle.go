package main

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
// system alike, waits until none of its workflows runs and, for cardflow's
// approval cards with e-mail on, until their e-mails are sent. That time
// counts in the batch's wall time (throughput is cards completely done per
// second) and is reported.

// settleWithin bounds the wait; a batch that has not settled by then is
// left to the verification.
const settleWithin = 60 * time.Second

// settled is how long a batch took to settle, and whether it did.
type settled struct {
	workflows time.Duration
	mail      time.Duration
	ok        bool
}

// settleBatch waits for the batch of system to settle.
func settleBatch(ctx context.Context, cfg Config, e *env, system, scenario string, batch []job) (settled, error) {
	var s settled
	start := time.Now()
	idle, err := noneRunning(ctx, e, system)
	if err != nil {
		return s, err
	}
	s.workflows = time.Since(start)
	s.ok = idle
	if system != Cardflow || !cfg.Mail || scenario != Approval {
		return s, nil
	}
	ids := make([]string, len(batch))
	for i, j := range batch {
		ids[i] = j.cardID
	}
	waited, counts, err := waitForMail(ctx, e.db, ids, 2*len(ids), mailWithin)
	s.mail = waited
	s.ok = s.ok && expectedSent(counts) >= 2*len(ids)
	return s, err
}

// noneRunning polls the server's visibility store until no workflow of
// system's task queue runs, or settleWithin has passed.
func noneRunning(ctx context.Context, e *env, system string) (bool, error) {
	c, queue := e.client, e.queues[system]
	query := fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running'", queue)
	deadline := time.Now().Add(settleWithin)
	for {
		resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
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
