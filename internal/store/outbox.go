package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// OutboxEvent is a notification to queue with a card write (table
// notification_outbox): the event name and the cards.NotifyInput as JSON,
// which the store keeps without reading it. Queuing it in the statement
// that writes the card makes the e-mail exist exactly when the state change
// does.
type OutboxEvent struct {
	Event string
	Input []byte
}

// outboxArgs are the two parameters of the outbox CTE of InsertCard and
// TransitionCard: NULLs when there is nothing to queue, which the CTE's
// WHERE turns into an insert of no rows.
func outboxArgs(e *OutboxEvent) (event, input any) {
	if e == nil {
		return nil, nil
	}
	return e.Event, string(e.Input)
}

// OutboxRow is a claimed row of the outbox: the event to send, and the
// attempts count that fences what the claimer may do with it afterwards.
type OutboxRow struct {
	CardID    string    `db:"card_id"`
	Event     string    `db:"event"`
	Input     []byte    `db:"input"`
	Attempts  int       `db:"attempts"`
	CreatedAt time.Time `db:"created_at"`
}

// Key names the row as claimed (with its attempts), for FinishOutbox and
// RescheduleOutbox.
func (r OutboxRow) Key() OutboxKey {
	return OutboxKey{CardID: r.CardID, Event: r.Event, Attempts: r.Attempts}
}

// OutboxKey is one claimed row: card, event and the attempts count its claim
// returned. A row claimed again since (its lease ran out) has a higher
// count, so a late dispatcher's finish or reschedule leaves it alone.
type OutboxKey struct {
	CardID   string
	Event    string
	Attempts int
}

// claimOutboxSQL finishes the caller's handled rows ($3..$5, as
// FinishOutbox) and leases up to $1 due rows for $2 seconds under the claim
// token $6, in one statement. The rows being finished are kept out of the
// claim, so that no row is both deleted and updated by it. Rows already
// leased under $6 are returned again (and their lease renewed, their
// attempts left as they are): the same claim run again after its answer was
// lost gets back what its first run leased.
const claimOutboxSQL = `
		WITH finished AS (
			SELECT * FROM unnest($3::uuid[], $4::text[], $5::int[]) AS f(card_id, event, attempts)
		), gone AS (
			DELETE FROM notification_outbox o USING finished f
			WHERE o.card_id = f.card_id AND o.event = f.event AND o.attempts = f.attempts
		), mine AS MATERIALIZED (
			SELECT card_id, event FROM notification_outbox
			WHERE claim = $6
				AND NOT EXISTS (SELECT 1 FROM finished f WHERE f.card_id = notification_outbox.card_id AND f.event = notification_outbox.event)
			FOR UPDATE SKIP LOCKED
		), due AS MATERIALIZED (
			SELECT card_id, event FROM notification_outbox n
			WHERE due_at <= now() AND claim IS DISTINCT FROM $6
				AND NOT EXISTS (SELECT 1 FROM finished f WHERE f.card_id = n.card_id AND f.event = n.event)
			ORDER BY due_at
			LIMIT $1
			FOR UPDATE SKIP LOCKED
		), taken AS (
			SELECT card_id, event, false AS again FROM due
			UNION ALL
			SELECT card_id, event, true FROM mine
		)
		UPDATE notification_outbox o
		SET due_at = now() + make_interval(secs => $2),
			attempts = o.attempts + CASE WHEN taken.again THEN 0 ELSE 1 END,
			claim = $6
		FROM taken
		WHERE o.card_id = taken.card_id AND o.event = taken.event
		RETURNING o.card_id, o.event, o.input, o.attempts, o.created_at`

// NewOutboxClaim returns a fresh claim token for ClaimOutbox.
func NewOutboxClaim() string { return uuid.NewString() }

// ClaimOutbox leases up to limit due rows, oldest due first, in one
// statement: each is moved out of reach for lease (due_at = now() + lease)
// and its attempts counted. Rows another claim holds locked are skipped,
// not waited for, so dispatchers in several workers share the table; a
// dispatcher that dies leaves its rows to be claimed again when the lease
// ends. claim is a token the caller makes per claim (NewOutboxClaim) and
// uses again when it runs the claim again after an error: the rows a
// claim leased before its answer was lost come back with the next run
// (which may then return more than limit rows), instead of waiting out
// their lease. finished, when not empty, are the caller's handled rows of
// its last batch, deleted by the same statement (as FinishOutbox would): a
// busy dispatcher pays one write transaction per batch, not two. A claim
// that finds or finishes rows counts as a write transaction, an empty one
// (an idle poll, which writes nothing) as a read.
func (s *Store) ClaimOutbox(ctx context.Context, limit int, lease time.Duration, finished []OutboxKey, claim string) ([]OutboxRow, error) {
	ids, events, attempts := outboxKeyArrays(finished)
	var rows []OutboxRow
	err := s.selectPrepared(ctx, &rows, claimOutboxSQL, limit, lease.Seconds(), pq.Array(ids), pq.Array(events), pq.Array(attempts), claim)
	if err != nil {
		return nil, fmt.Errorf("claim queued notifications: %w", err)
	}
	if len(rows) > 0 || len(finished) > 0 {
		s.writes.Add(1)
	} else {
		s.reads.Add(1)
	}
	return rows, nil
}

// RenewOutbox extends the lease of a claimed row to lease from now, while
// it is still under the caller's claim (its attempts count). It reports
// false when the row was claimed again since or is gone: the caller must
// stop working on the event.
func (s *Store) RenewOutbox(ctx context.Context, key OutboxKey, lease time.Duration) (bool, error) {
	res, err := s.DB.ExecContext(ctx, `
		UPDATE notification_outbox SET due_at = now() + make_interval(secs => $4)
		WHERE card_id = $1 AND event = $2 AND attempts = $3`,
		key.CardID, key.Event, key.Attempts, lease.Seconds())
	if err != nil {
		return false, fmt.Errorf("renew the lease of queued notification %s/%s: %w", key.CardID, key.Event, err)
	}
	s.writes.Add(1)
	n, err := res.RowsAffected()
	return n == 1, err
}

// FinishOutbox deletes handled rows (sent, given up, or invalid) in one
// statement, each only while it is still under the caller's claim. It
// returns how many it deleted.
func (s *Store) FinishOutbox(ctx context.Context, keys []OutboxKey) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	ids, events, attempts := outboxKeyArrays(keys)
	res, err := s.execPrepared(ctx, `
		DELETE FROM notification_outbox o
		USING unnest($1::uuid[], $2::text[], $3::int[]) AS d(card_id, event, attempts)
		WHERE o.card_id = d.card_id AND o.event = d.event AND o.attempts = d.attempts`,
		pq.Array(ids), pq.Array(events), pq.Array(attempts))
	if err != nil {
		return 0, fmt.Errorf("delete %d handled notifications from the outbox: %w", len(keys), err)
	}
	s.writes.Add(1)
	return res.RowsAffected()
}

// OutboxRetry is a claimed row to try again after Delay; Error, when not
// empty, replaces the row's last_error.
type OutboxRetry struct {
	OutboxKey
	Delay time.Duration
	Error string
}

// RescheduleOutbox sets when claimed rows are due again, in one statement:
// after a temporary failure (the backoff), or at once for rows a stopping
// dispatcher claimed but did not start. Rows claimed again since are left
// alone.
func (s *Store) RescheduleOutbox(ctx context.Context, retries []OutboxRetry) error {
	if len(retries) == 0 {
		return nil
	}
	keys := make([]OutboxKey, 0, len(retries))
	delays := make([]float64, 0, len(retries))
	errs := make([]string, 0, len(retries))
	for _, r := range retries {
		keys = append(keys, r.OutboxKey)
		delays = append(delays, r.Delay.Seconds())
		errs = append(errs, r.Error)
	}
	ids, events, attempts := outboxKeyArrays(keys)
	_, err := s.DB.ExecContext(ctx, `
		UPDATE notification_outbox o
		SET due_at = now() + make_interval(secs => d.delay),
			last_error = COALESCE(NULLIF(d.error, ''), o.last_error)
		FROM unnest($1::uuid[], $2::text[], $3::int[], $4::float8[], $5::text[]) AS d(card_id, event, attempts, delay, error)
		WHERE o.card_id = d.card_id AND o.event = d.event AND o.attempts = d.attempts`,
		pq.Array(ids), pq.Array(events), pq.Array(attempts), pq.Array(delays), pq.Array(errs))
	if err != nil {
		return fmt.Errorf("reschedule %d queued notifications: %w", len(retries), err)
	}
	s.writes.Add(1)
	return nil
}

func outboxKeyArrays(keys []OutboxKey) (ids, events []string, attempts []int64) {
	for _, k := range keys {
		ids, events, attempts = append(ids, k.CardID), append(events, k.Event), append(attempts, int64(k.Attempts))
	}
	return ids, events, attempts
}
