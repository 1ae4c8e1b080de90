// Package notify sends the e-mails of card events (a card waits for its
// approvers, the reminder before its approval timeout, the decision) over
// SMTP. Each e-mail goes out at most once per card, event and recipient: the
// notifications table is claimed before a send and records its outcome, so a
// retried activity or a replayed workflow never mails anyone twice.
package notify

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// DefaultConsoleURL is the console's address when CARDS_CONSOLE_URL is not
// set: the console's default listen address, right for a local setup.
const DefaultConsoleURL = "http://127.0.0.1:8080"

// Config is the e-mail configuration of the worker.
type Config struct {
	// SMTPURL is CARDS_SMTP_URL; see ParseSMTPURL.
	SMTPURL string
	// From is CARDS_MAIL_FROM, the sender ("cardflow <cards@example.com>").
	From string
	// TemplatesDir is CARDS_MAIL_TEMPLATES: a directory whose requested.txt,
	// requested.html, reminder.txt, ... replace the built-in templates.
	TemplatesDir string
	// ConsoleURL is CARDS_CONSOLE_URL, the base of the card links.
	ConsoleURL string
	// AfterSend, when set, runs after the SMTP server accepted a message and
	// before it is recorded as sent: the worst moment for a worker to die,
	// which the tests reproduce with it.
	AfterSend func(ctx context.Context, key store.NotificationKey)
}

// Enabled reports whether the configuration asks for e-mail at all: without
// CARDS_SMTP_URL and CARDS_MAIL_FROM notifications are off.
func (c Config) Enabled() bool { return c.SMTPURL != "" || c.From != "" }

// Recorder counts e-mails by event and outcome (sent, retried, failed,
// skipped); the worker's metrics implement it.
type Recorder interface {
	Notification(event, outcome string)
}

// Metric outcomes: what one attempt did for one recipient.
const (
	OutcomeSent    = "sent"
	OutcomeRetried = "retried"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
)

// Service sends the e-mails of card events: the Notify activity and the
// outbox dispatcher both use it.
type Service struct {
	store      *store.Store
	server     SMTPServer
	client     *gomail.Client
	from       *mail.Address
	domain     string
	consoleURL string
	templates  *templates
	metrics    Recorder
	afterSend  func(ctx context.Context, key store.NotificationKey)
	// claims are the tokens of claims that may hold a row unsent.
	claims claims
}

// New checks the configuration and the templates, so that a mistake stops
// the worker at start with a message naming the setting to fix. rec may be nil.
func New(cfg Config, st *store.Store, rec Recorder) (*Service, error) {
	if cfg.SMTPURL == "" {
		return nil, errors.New("CARDS_MAIL_FROM is set but CARDS_SMTP_URL is not: set CARDS_SMTP_URL (for example smtp://127.0.0.1:1025?tls=none) or unset CARDS_MAIL_FROM to turn e-mail off")
	}
	if cfg.From == "" {
		return nil, fmt.Errorf("CARDS_SMTP_URL is set but CARDS_MAIL_FROM is not: set the sender address (for example \"cardflow <cards@example.com>\") or unset CARDS_SMTP_URL to turn e-mail off")
	}
	server, err := ParseSMTPURL(cfg.SMTPURL)
	if err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("CARDS_MAIL_FROM %q is not an e-mail address (%v); write cards@example.com or \"cardflow <cards@example.com>\"", cfg.From, err)
	}
	consoleURL, err := consoleBase(cfg.ConsoleURL)
	if err != nil {
		return nil, err
	}
	tmpl, err := loadTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	client, err := gomail.NewClient(server.Host, server.clientOptions()...)
	if err != nil {
		return nil, fmt.Errorf("CARDS_SMTP_URL %s: %w", Redact(cfg.SMTPURL), err)
	}
	if rec == nil {
		rec = noRecorder{}
	}
	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	return &Service{
		store: st, server: server, client: client, from: from, domain: domain,
		consoleURL: consoleURL, templates: tmpl, metrics: rec, afterSend: cfg.AfterSend,
	}, nil
}

// Describe says where e-mail goes, for the worker's start-up log.
func (s *Service) Describe() string {
	return fmt.Sprintf("SMTP %s (TLS %s), from %s, card links %s/cards/<id>", s.server.Address(), s.server.TLS, s.from.String(), s.consoleURL)
}

func consoleBase(raw string) (string, error) {
	if raw == "" {
		raw = DefaultConsoleURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("CARDS_CONSOLE_URL %q is not an http(s) URL; set it to the console's external address, for example %s", raw, DefaultConsoleURL)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

type noRecorder struct{}

func (noRecorder) Notification(string, string) {}

// Notify sends the e-mails of one card event and returns every recipient's
// outcome. Recipients already handled by an earlier attempt are reported as
// recorded, never sent again. An input that can never be sent is an
// ErrInvalid; a temporary failure for some recipients is an ErrTemporary,
// returned after the others were handled. progress, when not nil, is called
// with each recipient's id before it is handled (the activity heartbeats).
func (s *Service) Notify(ctx context.Context, in cards.NotifyInput, progress func(recipientID string)) (cards.NotifyResult, error) {
	conn := &connection{service: s}
	defer conn.close()
	var each func(string) error
	if progress != nil {
		each = func(id string) error { progress(id); return nil }
	}
	return s.notify(ctx, conn, in, eventHooks{progress: each})
}

// eventHooks are what the outbox dispatcher adds to a Notify call.
type eventHooks struct {
	// progress, when not nil, is called with each recipient's id before
	// it is handled; an error stops the call, which returns it.
	progress func(recipientID string) error
	// requeue, when not nil, is the event as queued in the outbox: a
	// retry recorded for a recipient makes sure it stays queued.
	requeue *store.Requeue
}

// notify is Notify over an SMTP session the caller owns, so that the outbox
// dispatcher sends a whole batch of events through one connection.
func (s *Service) notify(ctx context.Context, conn *connection, in cards.NotifyInput, hooks eventHooks) (cards.NotifyResult, error) {
	if err := validate(in); err != nil {
		return cards.NotifyResult{}, &failure{kind: ErrInvalid, msg: err.Error()}
	}
	recipients, names, err := s.recipients(ctx, in)
	if err != nil {
		return cards.NotifyResult{}, err
	}
	result := cards.NotifyResult{Notifications: []cards.Notification{}}
	var temporary []string
	for _, r := range recipients {
		if hooks.progress != nil {
			if err := hooks.progress(r.ID); err != nil {
				return cards.NotifyResult{}, err
			}
		}
		n, retry, err := s.deliver(ctx, conn, in, names, r, hooks.requeue)
		if err != nil {
			return cards.NotifyResult{}, err
		}
		if retry != "" {
			temporary = append(temporary, r.ID+": "+retry)
			continue
		}
		result.Notifications = append(result.Notifications, n)
	}
	if len(temporary) > 0 {
		return cards.NotifyResult{}, &failure{kind: ErrTemporary, msg: fmt.Sprintf(
			"%s e-mail of card %s: temporary failure for %d of %d recipients, retrying them: %s",
			in.Event, in.CardID, len(temporary), len(recipients), strings.Join(temporary, "; "))}
	}
	return result, nil
}

func validate(in cards.NotifyInput) error {
	switch {
	case !cards.IsNotifyEvent(in.Event):
		return fmt.Errorf("notification event %q is not one of %s", in.Event, strings.Join(cards.NotifyEvents, ", "))
	case in.CardID == "":
		return errors.New("notification without a card id")
	case in.Event == cards.NotifyDecided && in.Decision == nil:
		return fmt.Errorf("decided notification of card %s without the decision", in.CardID)
	case cards.IsOrderEvent(in.Event) && (in.Order == nil || in.RequestedBy == ""):
		return fmt.Errorf("%s notification of order %s without the order or its operator", in.Event, in.CardID)
	case cards.IsHolderEvent(in.Event) && in.UserID == "":
		return fmt.Errorf("%s notification of card %s without the card's holder", in.Event, in.CardID)
	}
	return nil
}
