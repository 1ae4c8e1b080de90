// Package smtptest is an in-process SMTP server for tests (go-smtp): it keeps
// the messages it accepts and can refuse chosen recipients with a 4xx or 5xx
// reply, which a real relay such as Mailpit cannot be told to do.
package smtptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is a running test SMTP server; Addr is its host:port.
type Server struct {
	Addr string

	mu       sync.Mutex
	refusals map[string]*smtp.SMTPError
	messages []Message
	rcptSeen map[string]int
	changed  chan struct{}
}

// Message is one accepted e-mail.
type Message struct {
	From   string
	To     []string
	Header mail.Header
	Body   string
	// Text and HTML are the decoded plain-text and HTML parts.
	Text, HTML string
}

// Start listens on a free local port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: l.Addr().String(), refusals: map[string]*smtp.SMTPError{}, rcptSeen: map[string]int{}, changed: make(chan struct{})}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{server: s}, nil }))
	srv.Domain = "smtptest.local"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Port is the server's port.
func (s *Server) Port() string {
	_, port, _ := net.SplitHostPort(s.Addr)
	return port
}

// Refuse answers RCPT TO for address with code (4xx temporary, 5xx
// permanent) until Accept.
func (s *Server) Refuse(address string, code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals[strings.ToLower(address)] = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: text}
}

// Accept takes mail for address again.
func (s *Server) Accept(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.refusals, strings.ToLower(address))
}

// Messages returns the accepted messages so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the accepted messages addressed to address.
func (s *Server) To(address string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, address) {
				out = append(out, m)
			}
		}
	}
	return out
}

// RcptAttempts says how often a client asked to send to address (accepted
// or refused): a permanent refusal must be asked once, never again.
func (s *Server) RcptAttempts(address string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcptSeen[strings.ToLower(address)]
}

// Wait blocks until cond holds or the timeout passes; it reports whether
// cond held. cond is checked after every command the server handles.
func (s *Server) Wait(timeout time.Duration, cond func() bool) bool {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-deadline:
			return cond()
		}
	}
}

// notify wakes Wait; the caller holds mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

type session struct {
	server *Server
	from   string
	to     []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	defer s.server.notify()
	s.server.rcptSeen[strings.ToLower(to)]++
	if refusal := s.server.refusals[strings.ToLower(to)]; refusal != nil {
		return refusal
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: fmt.Sprintf("not a message: %v", err)}
	}
	body, _ := io.ReadAll(parsed.Body)
	m := Message{From: s.from, To: s.to, Header: parsed.Header, Body: string(body)}
	m.Text, m.HTML = parts(parsed.Header.Get("Content-Type"), parsed.Header.Get("Content-Transfer-Encoding"), body)
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	s.server.messages = append(s.server.messages, m)
	s.server.notify()
	return nil
}

// parts decodes the text/plain and text/html parts of a (multipart) body.
func parts(contentType, encoding string, body []byte) (text, html string) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return string(body), ""
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return text, html
			}
			b, _ := io.ReadAll(p)
			t, h := parts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b)
			text, html = text+t, html+h
		}
	}
	decoded := body
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		decoded, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
	case "base64":
		decoded, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(body, []byte("\r\n"), nil))))
	}
	switch mediaType {
	case "text/plain":
		return string(decoded), ""
	case "text/html":
		return "", string(decoded)
	}
	return "", ""
}

// StartStalled listens on a free local port until the test ends, as a
// relay that hangs: each connection gets its greeting only after delay,
// and the greeting is reply (a "421 ..." line refuses the session). It
// returns the address.
func StartStalled(t testing.TB, delay time.Duration, reply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				select {
				case <-time.After(delay):
					_, _ = fmt.Fprintf(c, "%s\r\n", reply)
					_, _ = io.Copy(io.Discard, c)
				case <-done:
				}
			}()
		}
	}()
	t.Cleanup(func() { close(done); _ = l.Close() })
	return l.Addr().String()
}
