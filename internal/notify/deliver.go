package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	mlog "github.com/wneessen/go-mail/log"
	"github.com/wneessen/go-mail/smtp"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// deliver handles one recipient: report what an earlier attempt recorded,
// or claim the row, send, and record the outcome. retry is set (and n empty)
// when a temporary failure left the row for the next attempt; err is set
// only when the claim or the outcome could not be written. requeue, when
// not nil, is the dispatcher's event, queued again with a retry it records
// (see store.RecordNotification).
func (s *Service) deliver(ctx context.Context, conn *connection, in cards.NotifyInput, names directoryNames, r recipient, requeue *store.Requeue) (n cards.Notification, retry string, err error) {
	key := store.NotificationKey{CardID: in.CardID, Event: in.RecordEvent(), Recipient: r.ID}
	messageID := MessageID(key, s.domain)
	if r.skip != "" {
		row, created, err := s.store.SkipNotification(ctx, key, messageID, r.skip)
		if err != nil {
			return n, "", err
		}
		if created {
			s.metrics.Notification(cards.NotifyKind(in.Event), OutcomeSkipped)
		}
		return row.Notification(), "", nil
	}
	claim := s.claims.token(key)
	row, claimed, err := s.claim(ctx, key, r.Email, messageID, claim)
	if err != nil {
		// The claim may have committed: whoever handles this e-mail next
		// in this process claims with the same token, and takes the row
		// back instead of finding it "in doubt".
		s.claims.keep(key, claim)
		return n, "", err
	}
	s.claims.drop(key)
	if !claimed {
		return row.Notification(), "", nil
	}

	status, reason := s.send(ctx, conn, in, names, r, messageID)
	if status == store.NotificationSent && s.afterSend != nil {
		s.afterSend(ctx, key)
	}
	if requeue != nil {
		rq := *requeue
		requeue = &rq
	}
	row, err = s.record(ctx, key, claim, status, reason, requeue)
	if err != nil {
		if status == store.NotificationRetry || status == store.NotificationFailed {
			// Nothing reached the recipient, but the row still says
			// sending: the next attempt in this process takes it back.
			s.claims.keep(key, claim)
		}
		return n, "", err
	}
	switch status {
	case store.NotificationSent:
		s.metrics.Notification(cards.NotifyKind(in.Event), OutcomeSent)
	case store.NotificationRetry:
		s.metrics.Notification(cards.NotifyKind(in.Event), OutcomeRetried)
		return n, reason, nil
	case store.NotificationFailed:
		s.metrics.Notification(cards.NotifyKind(in.Event), OutcomeFailed)
	default:
		s.metrics.Notification(cards.NotifyKind(in.Event), OutcomeSkipped)
	}
	return row.Notification(), "", nil
}

// Bounds of the bookkeeping around a send.
const (
	// claimTries is how often a claim that failed is tried again, with the
	// same token, before the recipient is left for a later attempt: a
	// connection reset after the claim committed then costs nothing.
	claimTries = 3
	// recordWait bounds the tries to record an outcome. They run even
	// after a stop (the send is over; only its outcome is left to write),
	// so that an e-mail known not to have gone out is not left "sending",
	// which would keep it from ever being sent.
	recordWait = 5 * time.Second
	// retryPause is the first pause between tries; it doubles.
	retryPause = 50 * time.Millisecond
)

// claim runs ClaimNotification, and again with the same token while it
// fails (claimTries in all) and ctx lasts.
func (s *Service) claim(ctx context.Context, key store.NotificationKey, email, messageID, claim string) (row store.NotificationRow, claimed bool, err error) {
	pause := retryPause
	for try := 1; ; try++ {
		row, claimed, err = s.store.ClaimNotification(ctx, key, email, messageID, claim)
		if err == nil || try == claimTries || ctx.Err() != nil {
			return row, claimed, err
		}
		if !sleep(ctx, pause) {
			return row, claimed, err
		}
		pause *= 2
	}
}

// record runs RecordNotification on a context that a stop does not cancel,
// again while it fails, for at most recordWait.
func (s *Service) record(ctx context.Context, key store.NotificationKey, claim, status, reason string, requeue *store.Requeue) (row store.NotificationRow, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWait)
	defer cancel()
	pause := retryPause
	for {
		row, err = s.store.RecordNotification(ctx, key, claim, status, reason, requeue)
		if err == nil || errors.Is(err, store.ErrClaimLost) || !sleep(ctx, pause) {
			return row, err
		}
		pause *= 2
	}
}

// sleep waits d, or less if ctx ends first; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// send hands one message to the SMTP server and classifies the result as a
// row status: sent; retry (a temporary failure before the server took the
// message); failed (permanent); or sending with a reason (in doubt: the
// connection broke after the message was handed over). When ctx ends
// before the message data is handed over, the connection is closed, so
// that a stop does not wait for a hung server (the outcome is then a
// retry); once the data is on its way the exchange runs to its end, since
// cutting it would leave the message in doubt.
func (s *Service) send(ctx context.Context, conn *connection, in cards.NotifyInput, names directoryNames, r recipient, messageID string) (status, reason string) {
	msg, err := s.message(in, names, r, messageID)
	if err != nil {
		return store.NotificationFailed, err.Error()
	}
	client, err := conn.get(ctx)
	if err != nil {
		return store.NotificationRetry, err.Error()
	}
	stopWatch := conn.abortOnStop(ctx)
	err = s.client.SendWithSMTPClient(client, msg)
	stopWatch()
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
	// watch knows whether the current message's data is on its way.
	watch *dataWatch
}

// errStopped is the failure of a connection attempt cut short by a stop.
var errStopped = errors.New("stopped before the SMTP server answered")

// get returns the session, connecting first if there is none. A stop (ctx
// ending) does not wait for the connection and the server's greeting, which
// the SMTP client bounds only by its own timeout: the attempt is left to
// finish in the background, and its session closed.
func (c *connection) get(ctx context.Context) (*smtp.Client, error) {
	if c.client != nil {
		return c.client, nil
	}
	type dialed struct {
		client *smtp.Client
		err    error
	}
	result := make(chan dialed, 1)
	go func() {
		client, err := c.service.client.DialToSMTPClientWithContext(context.WithoutCancel(ctx))
		result <- dialed{client, err}
	}()
	var d dialed
	select {
	case d = <-result:
	case <-ctx.Done():
		go func() {
			if late := <-result; late.client != nil {
				_ = c.service.client.CloseWithSMTPClient(late.client)
			}
		}()
		d.err = errStopped
	}
	if d.err != nil {
		return nil, fmt.Errorf("SMTP server %s not reachable: %w", c.service.server.Address(), d.err)
	}
	c.client = d.client
	c.watch = &dataWatch{}
	c.client.SetLogger(c.watch)
	c.client.SetDebugLog(true)
	return c.client, nil
}

// abortOnStop closes the session if ctx ends before the current message's
// data is on its way; the returned function ends the watch.
func (c *connection) abortOnStop(ctx context.Context) (stop func()) {
	client, watch := c.client, c.watch
	watch.start()
	unwatch := context.AfterFunc(ctx, func() {
		if watch.abort() {
			// Not Client.Close, which waits for the command in flight.
			_ = client.Text.Close()
		}
	})
	return func() { unwatch() }
}

func (c *connection) reset() {
	if c.client != nil {
		_ = c.service.client.CloseWithSMTPClient(c.client)
		c.client = nil
	}
}

func (c *connection) close() { c.reset() }

// dataWatch follows an SMTP session's commands (as the client's debug log
// reports them, before each is sent, above any TLS) to tell whether the
// current message's data is on its way: from the DATA command on, closing
// the session could leave the message in doubt.
type dataWatch struct {
	mu      sync.Mutex
	data    bool
	aborted bool
}

func (w *dataWatch) start() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.data = false
}

// abort reports whether the session may be closed (no data sent yet),
// and if so, keeps the DATA command from going out.
func (w *dataWatch) abort() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = !w.data
	return w.aborted
}

// Debugf sees every command and reply of the session.
func (w *dataWatch) Debugf(l mlog.Log) {
	if l.Direction != mlog.DirClientToServer || !strings.HasPrefix(strings.ToUpper(l.Format), "DATA") {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.aborted {
		w.data = true
	}
}

// Infof, Warnf and Errorf are not used by the SMTP session.
func (w *dataWatch) Infof(mlog.Log)  {}
func (w *dataWatch) Warnf(mlog.Log)  {}
func (w *dataWatch) Errorf(mlog.Log) {}
