package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
// as retry. claimed is false when the row exists in any other status; row is
// then what an earlier attempt recorded, and nothing must be sent.
func (s *Store) ClaimNotification(ctx context.Context, key NotificationKey, email, messageID string) (row NotificationRow, claimed bool, err error) {
	err = s.DB.GetContext(ctx, &row, `
		INSERT INTO notifications (card_id, event, recipient, email, message_id, status)
		VALUES ($1, $2, $3, $4, $5, 'sending')
		ON CONFLICT (card_id, event, recipient) DO UPDATE
			SET status = 'sending', email = EXCLUDED.email, error = '',
				attempts = notifications.attempts + 1, at = now()
			WHERE notifications.status = 'retry'
		RETURNING `+notificationColumns,
		key.CardID, key.Event, key.Recipient, email, messageID)
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

// RecordNotification records how the e-mail named by key ended (sent, retry
// or failed after a claim), and returns the row as stored.
func (s *Store) RecordNotification(ctx context.Context, key NotificationKey, status, errText string) (NotificationRow, error) {
	var row NotificationRow
	err := s.DB.GetContext(ctx, &row, `
		UPDATE notifications SET status = $4, error = $5, at = now()
		WHERE card_id = $1 AND event = $2 AND recipient = $3
		RETURNING `+notificationColumns,
		key.CardID, key.Event, key.Recipient, status, errText)
	if err != nil {
		return row, fmt.Errorf("record notification %s/%s/%s as %s: %w", key.CardID, key.Event, key.Recipient, status, err)
	}
	s.writes.Add(1)
	return row, nil
}

// SkipNotification records that there is nothing to send to a recipient
// (no e-mail address, not in the directory), unless the row exists already;
// it returns the row as stored and whether this call wrote it.
func (s *Store) SkipNotification(ctx context.Context, key NotificationKey, messageID, reason string) (row NotificationRow, created bool, err error) {
	err = s.DB.GetContext(ctx, &row, `
		INSERT INTO notifications (card_id, event, recipient, message_id, status, error)
		VALUES ($1, $2, $3, $4, 'skipped', $5)
		ON CONFLICT (card_id, event, recipient) DO NOTHING
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
