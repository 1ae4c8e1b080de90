package notify

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/outage"
	"github.com/cardflow/cardflow/internal/store"
)

// OutboxRecorder is what the dispatcher reports about queued events when
// the service's Recorder implements it too (the worker's metrics do): how
// each claimed event ended, and how long a handled one waited since it was
// queued. The per-recipient outcomes go to Recorder.Notification as before.
type OutboxRecorder interface {
	OutboxEvent(event, outcome string, queued time.Duration)
}

// Outbox outcomes: what one claim of one queued event came to.
const (
	// OutboxHandled: every recipient handled (sent, failed for good,
	// skipped, or found handled earlier); the event left the outbox.
	OutboxHandled = "handled"
	// OutboxRetried: a temporary failure; the event is due again after
	// the backoff.
	OutboxRetried = "retried"
	// OutboxGivenUp: still failing GiveUpAfter after it was queued; dropped.
	OutboxGivenUp = "given_up"
	// OutboxInvalid: an input that can never be sent; dropped.
	OutboxInvalid = "invalid"
)

// batch is what one claim came to: the events to delete, those to try
// again later, and those to put back at once (not started before a stop or
// before half the lease was gone, or cut short by a stop).
type batch struct {
	done    []store.OutboxKey
	retry   []store.OutboxRetry
	release []store.OutboxKey
}

// dispatch claims one batch and handles it: one statement to claim (which
// also deletes the previous batch's handled events, when they were left
// for it), the sends (the directory reads and the notifications rows of
// each event, over one SMTP session for the whole batch), and, only if
// some failed, one statement to reschedule them. The handled events are
// left for the next claim when it follows at once (the batch was full, it
// put events back, or a poke came meanwhile), else deleted by a statement
// of their own. It reports whether to claim again at once.
func (d *Dispatcher) dispatch(stop, work context.Context) (again bool) {
	claimed := time.Now()
	rows, err := d.service.store.ClaimOutbox(work, d.opts.Batch, d.opts.Lease, d.finished, d.claim)
	if err != nil {
		if work.Err() == nil {
			d.health.databaseFailed(err)
		}
		return false
	}
	d.finished, d.claim = nil, store.NewOutboxClaim()
	d.health.databaseWorks()
	if len(rows) == 0 {
		return false
	}
	// The claim returns rows in no set order; send the oldest first, so a
	// card's requested e-mail goes before its decided one.
	slices.SortFunc(rows, func(a, b store.OutboxRow) int { return a.CreatedAt.Compare(b.CreatedAt) })
	conn := &connection{service: d.service}
	defer conn.close()
	var b batch
	for i, row := range rows {
		// A stop, or a batch so slow (a sluggish SMTP server) that half
		// its lease is gone: the events not started go back at once, so
		// that none is worked on after its lease ran out.
		if stop.Err() != nil || time.Since(claimed) > d.opts.Lease/2 {
			for _, r := range rows[i:] {
				b.release = append(b.release, r.Key())
			}
			break
		}
		if !d.send(work, conn, row, claimed, &b) {
			if work.Err() != nil {
				// The stop grace ran out mid-event: this event and the
				// rest go back at once. Whatever was handed to the SMTP
				// server is in doubt in the notifications table, so the
				// next dispatcher sends it no second time.
				for _, r := range rows[i:] {
					b.release = append(b.release, r.Key())
				}
			}
			// Otherwise PostgreSQL is unreachable: the rest would fail
			// too, and nothing can be written back; the leases run out.
			break
		}
	}
	if len(rows) >= d.opts.Batch && d.opts.Backlog != nil {
		d.opts.Backlog()
	}
	again = stop.Err() == nil && (len(rows) >= d.opts.Batch || len(b.release) > 0 || d.poked())
	if again {
		d.finished, b.done = b.done, nil
	}
	d.settle(work, &b)
	return again
}

// poked takes a pending poke, if there is one.
func (d *Dispatcher) poked() bool {
	select {
	case <-d.poke:
		return true
	default:
		return false
	}
}

// settleWait bounds the statements that write a batch's outcome.
const settleWait = 5 * time.Second

// errLeaseLost stops work on an event whose lease ran out and which
// another dispatcher claimed since: the event is that dispatcher's now.
var errLeaseLost = errors.New("the lease of the queued notification ran out and another dispatcher claimed it")

// departed is the reason recorded for a recipient left to retry who is no
// longer among the event's recipients when it is tried again.
const departed = "no longer a recipient when the e-mail was tried again (not an active holder of the approver role, or not in the directory)"

// send handles one claimed event and files it in b. It returns false when
// the batch should stop: PostgreSQL unreachable, or the stop grace over.
// Before each recipient it renews the event's lease once a quarter of it
// has passed since the claim or the last renewal, so that a slow SMTP
// server does not let the lease run out mid-event; if another dispatcher
// claimed the event meanwhile, it leaves the event to it.
func (d *Dispatcher) send(work context.Context, conn *connection, row store.OutboxRow, claimed time.Time, b *batch) bool {
	var in cards.NotifyInput
	if err := json.Unmarshal(row.Input, &in); err != nil {
		d.drop(row, b, OutboxInvalid, "queued notification is not a NotifyInput: "+err.Error())
		return true
	}
	renewed := claimed
	hooks := eventHooks{
		progress: func(string) error {
			if time.Since(renewed) < d.opts.Lease/4 {
				return nil
			}
			ok, err := d.service.store.RenewOutbox(work, row.Key(), d.opts.Lease)
			if err != nil {
				return err
			}
			if !ok {
				return errLeaseLost
			}
			renewed = time.Now()
			return nil
		},
		requeue: &store.Requeue{Input: row.Input, QueuedAt: row.CreatedAt, Attempts: row.Attempts, Delay: backoff(row.Attempts)},
	}
	res, err := d.service.notify(work, conn, in, hooks)
	if err == nil && row.Attempts > 1 {
		// Tried before: recipients left to retry then may have left
		// the list since.
		err = d.skipDeparted(work, in, res)
	}
	switch {
	case err == nil:
		d.health.mailWorks()
		b.done = append(b.done, row.Key())
		d.record(row, OutboxHandled, time.Since(row.CreatedAt))
		return true
	case errors.Is(err, errLeaseLost):
		d.opts.Log.Info("Queued notification taken over by another dispatcher after its lease ran out; leaving it to that one",
			zap.String("cardId", row.CardID), zap.String("event", row.Event), zap.Int("attempts", row.Attempts))
		return true
	case errors.Is(err, ErrInvalid):
		d.drop(row, b, OutboxInvalid, err.Error())
		return true
	case errors.Is(err, ErrTemporary):
		d.health.mailFailed(err)
	case work.Err() != nil:
		return false
	default:
		// A PostgreSQL error from the directory read or the bookkeeping.
		d.health.databaseFailed(err)
		if outage.Classify(err) == outage.DatabaseUnreachable {
			return false
		}
	}
	if time.Since(row.CreatedAt) >= d.opts.GiveUpAfter {
		d.drop(row, b, OutboxGivenUp, err.Error())
		return true
	}
	delay := backoff(row.Attempts)
	b.retry = append(b.retry, store.OutboxRetry{OutboxKey: row.Key(), Delay: delay, Error: err.Error()})
	d.record(row, OutboxRetried, 0)
	return true
}

// skipDeparted records as skipped the recipients an earlier attempt left
// to retry who are not in res, the event's recipients now.
func (d *Dispatcher) skipDeparted(work context.Context, in cards.NotifyInput, res cards.NotifyResult) error {
	listed := make([]string, 0, len(res.Notifications))
	for _, n := range res.Notifications {
		listed = append(listed, n.Recipient)
	}
	// The rows' key, as deliver writes them (the event itself for every
	// event the outbox holds, reactivated:<run> included).
	n, err := d.service.store.SkipDeparted(work, in.CardID, in.RecordEvent(), listed, departed)
	for range n {
		d.service.metrics.Notification(cards.NotifyKind(in.Event), OutcomeSkipped)
	}
	return err
}

// drop deletes an event that will never be sent, and says so: an invalid
// input is a bug, an event given up is e-mail that never arrived.
func (d *Dispatcher) drop(row store.OutboxRow, b *batch, outcome, reason string) {
	b.done = append(b.done, row.Key())
	d.record(row, outcome, 0)
	msg := "Queued notification dropped: it can never be sent"
	if outcome == OutboxGivenUp {
		msg = "Queued notification given up: it kept failing since it was queued; recipients not reached are in the notifications table"
	}
	d.opts.Log.Warn(msg, zap.String("cardId", row.CardID), zap.String("event", row.Event), zap.Int("attempts", row.Attempts),
		zap.Time("queuedAt", row.CreatedAt), zap.String("reason", reason))
}

func (d *Dispatcher) record(row store.OutboxRow, outcome string, queued time.Duration) {
	if r, ok := d.service.metrics.(OutboxRecorder); ok {
		r.OutboxEvent(cards.NotifyKind(row.Event), outcome, queued)
	}
}

// settle writes what of the batch's outcome is not left for the next
// claim: one delete for the handled events, one update for the others,
// each only if there are any. They are written even when the stop grace is
// over (a few milliseconds' statements, bounded in case PostgreSQL does
// not answer). If either fails, the leases run out and the events are
// claimed again; sending them again sends nothing twice (the
// notifications table remembers every recipient).
func (d *Dispatcher) settle(work context.Context, b *batch) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(work), settleWait)
	defer cancel()
	retry := b.retry
	for _, k := range b.release {
		retry = append(retry, store.OutboxRetry{OutboxKey: k})
	}
	if _, err := d.service.store.FinishOutbox(ctx, b.done); err != nil {
		d.health.databaseFailed(err)
	}
	if err := d.service.store.RescheduleOutbox(ctx, retry); err != nil {
		d.health.databaseFailed(err)
	}
}

// flush deletes the handled events a last batch left for a claim that did
// not come (the dispatcher is stopping).
func (d *Dispatcher) flush(work context.Context) {
	d.settle(work, &batch{done: d.finished})
	d.finished = nil
}
