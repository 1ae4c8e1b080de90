package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
)

// EventExpire names the audit row of a card that expired (actor system).
const EventExpire = "expire"

// ActorSystem is the actor of what nobody asked for: the expiry sweep.
const ActorSystem = "system"

// ExpiryCursor is where the expiry sweep stands in its keyset pagination
// over the cards_expiry index: the last card it looked at, by
// (valid_until, id). The zero cursor starts at the beginning.
type ExpiryCursor struct {
	ValidUntil time.Time `json:"validUntil"`
	ID         string    `json:"id"`
}

// ExpiryCandidate is a card that can expire (issued, active, inactive)
// whose valid_until is near enough for a reminder or past: what the sweep
// decides about.
type ExpiryCandidate struct {
	ID         string      `db:"id"`
	UserID     string      `db:"user_id"`
	CardType   string      `db:"card_type"`
	CommonName string      `db:"common_name"`
	UPN        string      `db:"upn"`
	CardNumber string      `db:"card_number"`
	State      cards.State `db:"state"`
	ValidUntil time.Time   `db:"valid_until"`
	// IssuedAt is when the card was (last) issued, from its audit trail;
	// nil when it has no issue row (a card written by other means).
	IssuedAt *time.Time `db:"issued_at"`
}

// Cursor is the cursor just after c.
func (c ExpiryCandidate) Cursor() ExpiryCursor {
	return ExpiryCursor{ValidUntil: c.ValidUntil, ID: c.ID}
}

// ExpiryPage returns up to limit cards that can expire with valid_until at
// or before horizon, after the cursor, in (valid_until, id) order: one
// range scan of the cards_expiry index, so that a sweep visits only the
// cards near their end, however many others there are.
func (s *Store) ExpiryPage(ctx context.Context, after ExpiryCursor, horizon time.Time, limit int) ([]ExpiryCandidate, error) {
	s.reads.Add(1)
	from, id := after.ValidUntil, after.ID
	if id == "" {
		from, id = time.Time{}, "00000000-0000-0000-0000-000000000000"
	}
	var out []ExpiryCandidate
	err := s.DB.SelectContext(ctx, &out, `
		SELECT c.id, c.user_id, c.card_type, c.common_name, c.upn, COALESCE(c.card_number, '') AS card_number,
			c.state, c.valid_until,
			(SELECT max(e.at) FROM card_events e WHERE e.card_id = c.id AND e.event = 'issue') AS issued_at
		FROM cards c
		WHERE c.state IN ('issued', 'active', 'inactive')
			AND (c.valid_until, c.id) > ($1, $2::uuid) AND c.valid_until <= $3
		ORDER BY c.valid_until, c.id
		LIMIT $4`, from, id, horizon, limit)
	if err != nil {
		return nil, fmt.Errorf("read the cards due for expiry after %s/%s: %w", from.Format(time.RFC3339), id, err)
	}
	return out, nil
}

// Reminder is one expiry reminder to record: the card, the mark id
// (1440h, daily-2029-11-20) and the e-mail's NotifyInput as JSON (empty:
// e-mail is off, only the reminder is recorded).
type Reminder struct {
	CardID string
	Mark   string
	Input  []byte
}

// RecordReminders records reminders at at, in one statement: each card
// and mark once (card_reminders' primary key; ON CONFLICT DO NOTHING), and
// only for a card that can still expire and has not yet (the state guard),
// with its outbox row (event expiring-<mark>) inserted by the same
// statement for the rows it made. A second sweep, or two at once, records
// and queues nothing twice. It returns the reminders it recorded.
func (s *Store) RecordReminders(ctx context.Context, at time.Time, rs []Reminder) ([]Reminder, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	ids, marks, inputs := make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		ids[i], marks[i], inputs[i] = r.CardID, r.Mark, string(r.Input)
	}
	var rows []struct {
		CardID string `db:"card_id"`
		Mark   string `db:"mark"`
	}
	err := s.DB.SelectContext(ctx, &rows, `
		WITH due AS (
			SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[]) AS d(card_id, mark, input)
		), ins AS (
			INSERT INTO card_reminders (card_id, mark, at)
			SELECT d.card_id, d.mark, $4 FROM due d JOIN cards c ON c.id = d.card_id
			WHERE c.state IN ('issued', 'active', 'inactive') AND c.valid_until > $4
			ON CONFLICT (card_id, mark) DO NOTHING
			RETURNING card_id, mark
		), outbox AS (
			INSERT INTO notification_outbox (card_id, event, input)
			SELECT i.card_id, 'expiring-' || i.mark, d.input::jsonb
			FROM ins i JOIN due d ON d.card_id = i.card_id AND d.mark = i.mark
			WHERE d.input <> ''
			ON CONFLICT (card_id, event) DO NOTHING
		)
		SELECT card_id::text AS card_id, mark FROM ins`,
		pq.Array(ids), pq.Array(marks), pq.Array(inputs), at)
	if err != nil {
		return nil, fmt.Errorf("record %d expiry reminders: %w", len(rs), err)
	}
	s.writes.Add(1)
	out := make([]Reminder, 0, len(rows))
	for _, r := range rows {
		out = append(out, Reminder{CardID: r.CardID, Mark: r.Mark})
	}
	return out, nil
}

// Expiring is a card to expire: its id and the holder's expired e-mail as
// JSON (empty: e-mail is off).
type Expiring struct {
	CardID string
	Input  []byte
}

// ExpiredCard is a card ExpireCards expired.
type ExpiredCard struct {
	ID       string `db:"id"`
	CardType string `db:"card_type"`
}

// ExpireCards makes the cards expired at at, in one statement: each only
// while it is issued, active or inactive and its valid_until has passed
// (the state guard, re-checked under the row lock, so a card locked or
// expired meanwhile is left alone), with its audit row (event expire,
// actor system) and its outbox row. Final and idempotent: a card expired
// before is not touched again. It returns the cards it expired.
func (s *Store) ExpireCards(ctx context.Context, at time.Time, es []Expiring) ([]ExpiredCard, error) {
	if len(es) == 0 {
		return nil, nil
	}
	ids, inputs := make([]string, len(es)), make([]string, len(es))
	for i, e := range es {
		ids[i], inputs[i] = e.CardID, string(e.Input)
	}
	var out []ExpiredCard
	err := s.DB.SelectContext(ctx, &out, `
		WITH due AS (
			SELECT * FROM unnest($1::uuid[], $2::text[]) AS d(card_id, input)
		), old AS (
			SELECT c.id, c.state FROM cards c JOIN due d ON d.card_id = c.id
			WHERE c.state IN ('issued', 'active', 'inactive') AND c.valid_until <= $3
			FOR UPDATE OF c
		), upd AS (
			UPDATE cards c SET state = 'expired', updated_at = $3
			FROM old WHERE c.id = old.id
			RETURNING c.id, c.card_type, old.state AS from_state
		), event AS (
			INSERT INTO card_events (card_id, at, actor, from_state, to_state, comment, event, write_token)
			SELECT id, $3, $4, from_state, 'expired', '', $5, $5 FROM upd
		), outbox AS (
			INSERT INTO notification_outbox (card_id, event, input)
			SELECT u.id, 'expired', d.input::jsonb FROM upd u JOIN due d ON d.card_id = u.id
			WHERE d.input <> ''
			ON CONFLICT (card_id, event) DO NOTHING
		)
		SELECT id::text AS id, card_type FROM upd`,
		pq.Array(ids), pq.Array(inputs), at, ActorSystem, EventExpire)
	if err != nil {
		return nil, fmt.Errorf("expire %d cards: %w", len(es), err)
	}
	s.writes.Add(1)
	return out, nil
}

// CertificatesOutlivingCards returns the serials of the certificates of
// cards (by id) that are not revoked and whose notAfter is later than
// their card's valid_until: a card type whose validity is shorter than the
// CA's profile. The expiry sweep revokes them (cessationOfOperation); a
// certificate that ends with its card is left to its notAfter.
func (s *Store) CertificatesOutlivingCards(ctx context.Context, cardIDs []string) ([]string, error) {
	if len(cardIDs) == 0 {
		return nil, nil
	}
	s.reads.Add(1)
	var serials []string
	err := s.DB.SelectContext(ctx, &serials, `
		SELECT cc.serial FROM card_certificates cc JOIN cards c ON c.id = cc.card_id AND cc.generation = c.production_generation
		WHERE cc.card_id = ANY($1::uuid[]) AND cc.status <> 'revoked' AND cc.not_after > c.valid_until
		ORDER BY cc.serial`, pq.Array(cardIDs))
	if err != nil {
		return nil, fmt.Errorf("read the certificates outliving %d expired cards: %w", len(cardIDs), err)
	}
	return serials, nil
}

// SweepCount is one line of what the sweep of time at wrote: reminders of
// a card type and mark, or (Mark empty) cards of a card type expired.
type SweepCount struct {
	CardType string `db:"card_type"`
	Mark     string `db:"mark"`
	N        int    `db:"n"`
}

// SweepCounts counts what the sweep of time at wrote, from the rows
// themselves (every write of one sweep carries its time): exact even when a
// page's answer was lost and the page ran again, which the pages' own
// counts cannot be.
func (s *Store) SweepCounts(ctx context.Context, at time.Time) ([]SweepCount, error) {
	s.reads.Add(1)
	var out []SweepCount
	err := s.DB.SelectContext(ctx, &out, `
		SELECT c.card_type, r.mark, count(*) AS n
		FROM card_reminders r JOIN cards c ON c.id = r.card_id
		WHERE r.at = $1 GROUP BY c.card_type, r.mark
		UNION ALL
		SELECT c.card_type, '' AS mark, count(*) AS n
		FROM card_events e JOIN cards c ON c.id = e.card_id
		WHERE e.event = $2 AND e.at = $1 GROUP BY c.card_type`, at, EventExpire)
	if err != nil {
		return nil, fmt.Errorf("count what the expiry sweep of %s did: %w", at.Format(time.RFC3339Nano), err)
	}
	return out, nil
}
