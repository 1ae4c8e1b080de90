package notify

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/wneessen/go-mail"
)

// SMTPServer is where and how the worker hands its e-mails over, parsed from
// CARDS_SMTP_URL.
type SMTPServer struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "none", "opportunistic" or "mandatory" (STARTTLS), or "implicit"
	// for smtps:// (TLS from the first byte, usually port 465).
	TLS string
}

// TLS policies that CARDS_SMTP_URL accepts in ?tls=.
const (
	TLSNone          = "none"
	TLSOpportunistic = "opportunistic"
	TLSMandatory     = "mandatory"
	TLSImplicit      = "implicit"
)

const smtpURLForm = "smtp://[user:password@]host[:port][?tls=none|opportunistic|mandatory] or smtps://[user:password@]host[:port]"

// ParseSMTPURL reads CARDS_SMTP_URL. The TLS policy defaults to mandatory,
// so that a password never crosses the network in clear unless the
// administrator says so (tls=none, for a local relay such as Mailpit). The
// port defaults to 587 (25 with tls=none, 465 for smtps). Errors name the
// part that is wrong and show the expected form; they never echo the password.
func ParseSMTPURL(raw string) (SMTPServer, error) {
	if !strings.Contains(raw, "://") {
		return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %q has no scheme: write smtp://%s (with ?tls=none for a local relay without TLS); expected %s", Redact(raw), strings.TrimSpace(Redact(raw)), smtpURLForm)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %q is not a URL (%v); expected %s", Redact(raw), unwrapURLError(err), smtpURLForm)
	}
	shown := Redact(raw)
	var s SMTPServer
	switch u.Scheme {
	case "smtp":
		s.TLS = TLSMandatory
	case "smtps":
		s.TLS = TLSImplicit
	default:
		return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s: scheme %q is not smtp or smtps; expected %s", shown, u.Scheme, smtpURLForm)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s names no host; expected %s", shown, smtpURLForm)
	}
	if u.Path != "" && u.Path != "/" {
		return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s: unexpected path %q; expected %s", shown, u.Path, smtpURLForm)
	}
	s.Host = u.Hostname()
	query := u.Query()
	for key := range query {
		if key != "tls" {
			return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s: unknown parameter %q (only tls=none|opportunistic|mandatory)", shown, key)
		}
	}
	if query.Has("tls") {
		tls := strings.ToLower(query.Get("tls"))
		switch {
		case s.TLS == TLSImplicit:
			return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s: smtps:// always uses TLS; drop ?tls= or use smtp://", shown)
		case tls == TLSNone || tls == TLSOpportunistic || tls == TLSMandatory:
			s.TLS = tls
		default:
			return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s: tls=%q is not none, opportunistic or mandatory", shown, query.Get("tls"))
		}
	}
	switch s.TLS {
	case TLSImplicit:
		s.Port = 465
	case TLSNone:
		s.Port = 25
	default:
		s.Port = 587
	}
	if p := u.Port(); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s: port %q is not a number from 1 to 65535", shown, p)
		}
		s.Port = port
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			return SMTPServer{}, fmt.Errorf("CARDS_SMTP_URL %s: a password without a user name; write smtp://user:password@host", shown)
		}
	}
	return s, nil
}

// Address is host:port, for messages and logs.
func (s SMTPServer) Address() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// clientOptions are the go-mail options for this server.
func (s SMTPServer) clientOptions() []mail.Option {
	opts := []mail.Option{mail.WithPort(s.Port)}
	switch s.TLS {
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case TLSMandatory:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	}
	if s.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.Username), mail.WithPassword(s.Password))
	}
	return opts
}

// Redact hides the password of an SMTP URL, for messages and logs.
func Redact(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			return "xxxxx" + raw[at:]
		}
		return raw
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

// unwrapURLError drops url.Error's echo of the whole URL (and its password).
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
