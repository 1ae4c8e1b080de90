package notify

import (
	"context"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// deliver handles one recipient: report what an earlier attempt recorded,
// or claim the row, send, and record the outcome. retry is set (and n empty)
// when a temporary failure left the row for the next attempt; err is set
// only when the outcome could not be recorded.
func (s *Service) deliver(ctx context.Context, conn *connection, in cards.NotifyInput, names directoryNames, r recipient) (n cards.Notification, retry string, err error) {
	key := store.NotificationKey{CardID: in.CardID, Event: in.Event, Recipient: r.ID}
	messageID := MessageID(key, s.domain)
	if r.skip != "" {
		row, created, err := s.store.SkipNotification(ctx, key, messageID, r.skip)
		if err != nil {
			return n, "", err
		}
		if created {
			s.metrics.Notification(in.Event, OutcomeSkipped)
		}
		return row.Notification(), "", nil
	}
	row, claimed, err := s.store.ClaimNotification(ctx, key, r.Email, messageID)
	if err != nil {
		return n, "", err
	}
	if !claimed {
		return row.Notification(), "", nil
	}

	status, reason := s.send(ctx, conn, in, names, r, messageID)
	if status == store.NotificationSent && s.afterSend != nil {
		s.afterSend(ctx, key)
	}
	row, err = s.store.RecordNotification(ctx, key, status, reason)
	if err != nil {
		return n, "", err
	}
	switch status {
	case store.NotificationSent:
		s.metrics.Notification(in.Event, OutcomeSent)
	case store.NotificationRetry:
		s.metrics.Notification(in.Event, OutcomeRetried)
		return n, reason, nil
	case store.NotificationFailed:
		s.metrics.Notification(in.Event, OutcomeFailed)
	default:
		s.metrics.Notification(in.Event, OutcomeSkipped)
	}
	return row.Notification(), "", nil
}

// send hands one message to the SMTP server and classifies the result as a
// row status: sent; retry (a temporary failure before the server took the
// message); failed (permanent); or sending with a reason (in doubt: the
// connection broke after the message was handed over).
func (s *Service) send(ctx context.Context, conn *connection, in cards.NotifyInput, names directoryNames, r recipient, messageID string) (status, reason string) {
	msg, err := s.message(in, names, r, messageID)
	if err != nil {
		return store.NotificationFailed, err.Error()
	}
	client, err := conn.get(ctx)
	if err != nil {
		return store.NotificationRetry, err.Error()
	}
	err = s.client.SendWithSMTPClient(client, msg)
	if msg.IsDelivered() {
		return store.NotificationSent, ""
	}
	status, reason = classify(err)
	if code := smtpCode(err); code == 0 || code == 421 {
		// No reply, or the server closing the session: the next recipient
		// gets a fresh connection.
		conn.reset()
	}
	return status, reason
}

// classify turns a failed send into a row status. Before the message data
// was handed over nothing can have arrived: a 5xx or an unusable address is
// permanent, everything else (4xx, a broken connection) is retried. After it,
// only an explicit reply from the server says it was refused; a connection
// that broke meanwhile leaves the message in doubt.
func classify(err error) (status, reason string) {
	if err == nil {
		return store.NotificationSent, ""
	}
	var sendErr *gomail.SendError
	if !errors.As(err, &sendErr) {
		return store.NotificationSending, "in doubt: " + err.Error()
	}
	code := smtpCode(err)
	switch sendErr.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return store.NotificationFailed, err.Error()
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrConnCheck:
		if code >= 500 {
			return store.NotificationFailed, err.Error()
		}
		return store.NotificationRetry, err.Error()
	case gomail.ErrWriteContent, gomail.ErrSMTPDataClose:
		switch {
		case code >= 500:
			return store.NotificationFailed, err.Error()
		case code >= 400:
			return store.NotificationRetry, err.Error()
		}
	}
	return store.NotificationSending, "in doubt: " + err.Error()
}

// smtpCode is the SMTP reply code behind err, or 0 when the server did not
// answer (a network error).
func smtpCode(err error) int {
	var sendErr *gomail.SendError
	if errors.As(err, &sendErr) {
		if c := sendErr.ErrorCode(); c >= 400 && c < 600 {
			return c
		}
	}
	return 0
}

// connection is one SMTP session for the recipients of one Notify call (or
// of one batch of the outbox dispatcher), opened when the first message
// needs it.
type connection struct {
	service *Service
	client  *smtp.Client
}

func (c *connection) get(ctx context.Context) (*smtp.Client, error) {
	if c.client != nil {
		return c.client, nil
	}
	client, err := c.service.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("SMTP server %s not reachable: %w", c.service.server.Address(), err)
	}
	c.client = client
	return client, nil
}

func (c *connection) reset() {
	if c.client != nil {
		_ = c.service.client.CloseWithSMTPClient(c.client)
		c.client = nil
	}
}

func (c *connection) close() { c.reset() }
