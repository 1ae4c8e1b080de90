package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
)

// Notification statuses (table notifications). Only NotificationRetry may be
// claimed again: a sent, failed or skipped e-mail is final, and one left
// NotificationSending by an attempt that stopped mid-send may have reached
// the recipient, so sending it again could deliver a second copy.
const (
	NotificationSending = "sending"
	NotificationSent    = "sent"
	NotificationRetry   = "retry"
	NotificationFailed  = "failed"
	NotificationSkipped = "skipped"
)

// NotificationKey names one e-mail: at most one per card, event and recipient.
type NotificationKey struct {
	CardID    string
	Event     string
	Recipient string
}

// NotificationRow is a row of the notifications table.
type NotificationRow struct {
	CardID    string    `db:"card_id"`
	Event     string    `db:"event"`
	Recipient string    `db:"recipient"`
	Email     string    `db:"email"`
	MessageID string    `db:"message_id"`
	Status    string    `db:"status"`
	Error     string    `db:"error"`
	Attempts  int       `db:"attempts"`
	At        time.Time `db:"at"`
}

const notificationColumns = `card_id, event, recipient, email, message_id, status, error, attempts, at`

// ClaimNotification takes the right to send the e-mail named by key: it
// inserts the row as sending, or takes over a row a temporary failure left
// as retry. claim is a random id the caller makes for this claim (see
// NewClaim) and keeps until the outcome is recorded: a claim that committed
// but whose answer was lost (a connection closed after the commit, which
// the driver answers by running the statement again; or an error the caller
// retries) finds the row sending under its own token and takes it again,
// instead of mistaking it for another attempt's send. claimed is false when
// the row exists in any other status; row is then what an earlier attempt
// recorded, and nothing must be sent.
func (s *Store) ClaimNotification(ctx context.Context, key NotificationKey, email, messageID, claim string) (row NotificationRow, claimed bool, err error) {
	err = s.getPrepared(ctx, &row, `
		INSERT INTO notifications (card_id, event, recipient, email, message_id, claim, status)
		VALUES ($1, $2, $3, $4, $5, $6, 'sending')
		ON CONFLICT (card_id, event, recipient) DO UPDATE
			SET status = 'sending', email = EXCLUDED.email, error = '', claim = EXCLUDED.claim,
				attempts = notifications.attempts + CASE WHEN notifications.status = 'retry' THEN 1 ELSE 0 END,
				at = now()
			WHERE notifications.status = 'retry'
				OR (notifications.status = 'sending' AND notifications.claim = EXCLUDED.claim)
		RETURNING `+notificationColumns,
		key.CardID, key.Event, key.Recipient, email, messageID, claim)
	if err == nil {
		s.writes.Add(1)
		return row, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return row, false, fmt.Errorf("claim notification %s/%s/%s: %w", key.CardID, key.Event, key.Recipient, err)
	}
	row, err = s.Notification(ctx, key)
	return row, false, err
}

// NewClaim returns a fresh claim token for ClaimNotification.
func NewClaim() string { return uuid.NewString() }

// ErrClaimLost is returned by RecordNotification when the row is no longer
// under the caller's claim: nothing was recorded.
var ErrClaimLost = errors.New("the notification is no longer under this claim")

// Requeue is what RecordNotification needs to queue an event again when
// it records a retry for a dispatcher that no longer holds the event (its
// lease ran out and another dispatcher finished the event meanwhile): the
// event's input, when it was first queued, the attempts count of the
// recorder's own claim of it, and how long until it is due.
type Requeue struct {
	Input    []byte
	QueuedAt time.Time
	Attempts int
	Delay    time.Duration
}

// RecordNotification records how the e-mail named by key ended (sent, retry
// or failed after a claim, or sending with the reason it is in doubt), and
// returns the row as stored. It writes only while the row is under claim,
// so an attempt whose claim was taken over cannot overwrite the newer one
// (ErrClaimLost); run again with the same arguments it writes the same.
// For a retry with requeue set it also makes sure the event is queued: a
// dispatcher whose lease ran out mid-event may record a retry for an event
// that another dispatcher already finished (then it is queued again) or
// still holds (then its attempts move on, so that the other dispatcher's
// delete, fenced on its attempts, leaves it queued).
func (s *Store) RecordNotification(ctx context.Context, key NotificationKey, claim, status, errText string, requeue *Requeue) (NotificationRow, error) {
	var input any
	var queuedAt time.Time
	var attempts int
	var delay float64
	if requeue != nil && status == NotificationRetry {
		input, queuedAt, attempts, delay = string(requeue.Input), requeue.QueuedAt, requeue.Attempts, requeue.Delay.Seconds()
	}
	var row NotificationRow
	err := s.getPrepared(ctx, &row, `
		WITH rec AS (
			UPDATE notifications SET status = $4, error = $5, at = now()
			WHERE card_id = $1 AND event = $2 AND recipient = $3 AND claim = $6
			RETURNING `+notificationColumns+`
		), requeue AS (
			INSERT INTO notification_outbox AS o (card_id, event, input, due_at, attempts, last_error, created_at)
			SELECT card_id, event, $7::jsonb, now() + make_interval(secs => $10), $9 + 1, error, $8
			FROM rec WHERE $7::text IS NOT NULL
			ON CONFLICT (card_id, event) DO UPDATE
				SET attempts = GREATEST(o.attempts, EXCLUDED.attempts) + 1, claim = NULL,
					due_at = EXCLUDED.due_at, last_error = EXCLUDED.last_error
				WHERE o.attempts <> $9
		)
		SELECT `+notificationColumns+` FROM rec`,
		key.CardID, key.Event, key.Recipient, status, errText, claim, input, queuedAt, attempts, delay)
	if errors.Is(err, sql.ErrNoRows) {
		return row, fmt.Errorf("record notification %s/%s/%s as %s: %w", key.CardID, key.Event, key.Recipient, status, ErrClaimLost)
	}
	if err != nil {
		return row, fmt.Errorf("record notification %s/%s/%s as %s: %w", key.CardID, key.Event, key.Recipient, status, err)
	}
	s.writes.Add(1)
	return row, nil
}

// SkipNotification records that there is nothing to send to a recipient
// (no e-mail address, not in the directory), unless the row exists already
// in a final status; a row a temporary failure left as retry is skipped
// too (the recipient lost their address before the retry). It returns the
// row as stored and whether this call wrote it.
func (s *Store) SkipNotification(ctx context.Context, key NotificationKey, messageID, reason string) (row NotificationRow, created bool, err error) {
	err = s.getPrepared(ctx, &row, `
		INSERT INTO notifications (card_id, event, recipient, message_id, status, error)
		VALUES ($1, $2, $3, $4, 'skipped', $5)
		ON CONFLICT (card_id, event, recipient) DO UPDATE
			SET status = 'skipped', error = EXCLUDED.error, claim = NULL, at = now()
			WHERE notifications.status = 'retry'
		RETURNING `+notificationColumns,
		key.CardID, key.Event, key.Recipient, messageID, reason)
	if err == nil {
		s.writes.Add(1)
		return row, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return row, false, fmt.Errorf("record skipped notification %s/%s/%s: %w", key.CardID, key.Event, key.Recipient, err)
	}
	row, err = s.Notification(ctx, key)
	return row, false, err
}

// SkipDeparted records as skipped, with reason, the rows of a card's event
// left as retry for recipients who are no longer among recipients (they
// lost the role, went inactive or left the directory before the retry), so
// that no row stays retry once its event is finished. It returns how many
// it skipped.
func (s *Store) SkipDeparted(ctx context.Context, cardID, event string, recipients []string, reason string) (int64, error) {
	res, err := s.DB.ExecContext(ctx, `
		UPDATE notifications SET status = 'skipped', error = $4, claim = NULL, at = now()
		WHERE card_id = $1 AND event = $2 AND status = 'retry' AND NOT (recipient = ANY ($3::text[]))`,
		cardID, event, pq.Array(recipients), reason)
	if err != nil {
		return 0, fmt.Errorf("skip the departed recipients of %s/%s: %w", cardID, event, err)
	}
	s.writes.Add(1)
	return res.RowsAffected()
}

// Notification reads one row, or returns ErrNoRows.
func (s *Store) Notification(ctx context.Context, key NotificationKey) (NotificationRow, error) {
	s.reads.Add(1)
	var row NotificationRow
	err := s.DB.GetContext(ctx, &row, `SELECT `+notificationColumns+` FROM notifications
		WHERE card_id = $1 AND event = $2 AND recipient = $3`, key.CardID, key.Event, key.Recipient)
	if errors.Is(err, sql.ErrNoRows) {
		return row, ErrNoRows
	}
	if err != nil {
		return row, fmt.Errorf("read notification %s/%s/%s: %w", key.CardID, key.Event, key.Recipient, err)
	}
	return row, nil
}

// Notifications returns a card's e-mails, oldest first: what the console's
// card page and the tests show.
func (s *Store) Notifications(ctx context.Context, cardID string) ([]NotificationRow, error) {
	s.reads.Add(1)
	var rows []NotificationRow
	err := s.DB.SelectContext(ctx, &rows, `SELECT `+notificationColumns+` FROM notifications
		WHERE card_id = $1 ORDER BY at, event, recipient`, cardID)
	if err != nil {
		return nil, fmt.Errorf("read notifications of card %s: %w", cardID, err)
	}
	return rows, nil
}

// inDoubt is the outcome of an e-mail whose earlier attempt stopped between
// handing it to the SMTP server and recording the answer.
const inDoubt = "in doubt: an earlier attempt stopped while sending this e-mail, which may have arrived; not sent again, to avoid a second copy"

// Notification is the row as the status document shows it: here, not in
// the notify package, because the starter and the console read the rows
// too (with the outbox the workflow no longer learns the outcomes).
func (r NotificationRow) Notification() cards.Notification {
	n := cards.Notification{Event: r.Event, Recipient: r.Recipient, At: r.At}
	switch r.Status {
	case NotificationSent:
		n.Outcome = "sent"
	case NotificationFailed:
		n.Outcome = "failed: " + r.Error
	case NotificationSending:
		n.Outcome = "skipped: " + inDoubt
	default:
		n.Outcome = r.Status + ": " + r.Error
	}
	return n
}

// StatusNotifications returns a card's e-mails as the status document
// lists them, oldest first.
func (s *Store) StatusNotifications(ctx context.Context, cardID string) ([]cards.Notification, error) {
	rows, err := s.Notifications(ctx, cardID)
	if err != nil {
		return nil, err
	}
	out := make([]cards.Notification, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.Notification())
	}
	return out, nil
}
