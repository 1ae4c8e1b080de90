// Package mailpit runs a real Mailpit (bin/mailpit, built by scripts/lib.sh's
// ensure_mailpit) on free loopback ports and reads what it received, for the
// tests and the bench: e-mail is checked against a real SMTP server, not a
// fake, and both need the same start, wait-until-ready and API calls.
package mailpit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Options say how to run Mailpit.
type Options struct {
	// Bin is the Mailpit binary.
	Bin string
	// DBPath is its database file: a Mailpit started again on the same
	// file shows what it received before.
	DBPath string
	// KeepAll keeps every message (--max 0); by default Mailpit keeps the
	// newest 500, which would make a count over a long run meaningless.
	KeepAll bool
}

// Server is a running (or stopped) Mailpit; its ports stay the same across
// Stop and Start.
type Server struct {
	// SMTPAddr and APIURL are where it listens.
	SMTPAddr, APIURL string

	opts   Options
	cmd    *exec.Cmd
	exited chan struct{}
	stderr strings.Builder
}

// Start runs Mailpit on free ports and returns once both its API and its
// SMTP port answer.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if _, err := os.Stat(opts.Bin); err != nil {
		return nil, fmt.Errorf("no Mailpit at %s: build it with `bash -c 'source scripts/lib.sh && ensure_mailpit'`", opts.Bin)
	}
	smtpAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	apiAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{SMTPAddr: smtpAddr, APIURL: "http://" + apiAddr, opts: opts}
	return s, s.Start(ctx)
}

// Start runs a stopped Mailpit again, on the same ports and database.
func (s *Server) Start(ctx context.Context) error {
	args := []string{"--smtp", s.SMTPAddr, "--listen", strings.TrimPrefix(s.APIURL, "http://"),
		"--database", s.opts.DBPath, "--smtp-disable-rdns", "--disable-version-check", "-q"}
	if s.opts.KeepAll {
		args = append(args, "--max", "0")
	}
	s.stderr.Reset()
	s.cmd = exec.Command(s.opts.Bin, args...)
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start Mailpit: %w", err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(s.cmd, s.exited)
	deadline := time.Now().Add(20 * time.Second)
	for !s.ready(ctx) {
		select {
		case <-s.exited:
			s.cmd = nil
			return fmt.Errorf("mailpit exited at start: %s", s.stderr.String())
		case <-ctx.Done():
			s.Kill()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("mailpit did not answer on %s within 20s: %s", s.APIURL, s.stderr.String())
		}
	}
	return nil
}

func (s *Server) ready(ctx context.Context) bool {
	if _, err := s.Total(ctx); err != nil {
		return false
	}
	conn, err := net.DialTimeout("tcp", s.SMTPAddr, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// SMTPURL is what the worker's CARDS_SMTP_URL says to mail through it.
func (s *Server) SMTPURL() string { return "smtp://" + s.SMTPAddr + "?tls=none" }

// PID is Mailpit's process, for CPU accounting.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop ends Mailpit politely, so that it closes its database.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Kill ends Mailpit at once: an SMTP outage, as far as a client can tell.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Message is a message as Mailpit's list API shows it.
type Message struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	To        []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

// Recipients is the message's To addresses, comma-separated.
func (m Message) Recipients() string {
	var out []string
	for _, a := range m.To {
		out = append(out, a.Address)
	}
	return strings.Join(out, ",")
}

// Total is how many messages Mailpit holds.
func (s *Server) Total(ctx context.Context) (int, error) {
	var list struct {
		Total int `json:"total"`
	}
	return list.Total, s.getJSON(ctx, "/api/v1/messages?limit=1", &list)
}

// Messages lists the messages Mailpit holds, newest first (up to 1,000).
func (s *Server) Messages(ctx context.Context) ([]Message, error) {
	var list struct {
		Messages []Message `json:"messages"`
	}
	return list.Messages, s.getJSON(ctx, "/api/v1/messages?limit=1000", &list)
}

// Text is one message's plain-text body.
func (s *Server) Text(ctx context.Context, id string) (string, error) {
	resp, err := s.get(ctx, "/view/"+id+".txt")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func (s *Server) getJSON(ctx context.Context, path string, into any) error {
	resp, err := s.get(ctx, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("mailpit API %s: %w", path, err)
	}
	return nil
}

func (s *Server) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.APIURL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("mailpit API %s: %s", path, resp.Status)
	}
	return resp, nil
}

// FreeAddr is a free loopback host:port.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
