package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// mailpit is the SMTP server the cardflow worker mails through when -mail is
// on: a real one, so that the e-mails cost what they cost (message
// rendering, an SMTP session per send), on free ports, with its messages in
// a temporary directory removed at the end.
type mailpit struct {
	smtpAddr string
	apiURL   string
	dir      string
	cmd      *exec.Cmd
	exited   chan struct{}
	stderr   strings.Builder
}

// startMailpit runs bin and waits until both its API and its SMTP port
// answer. --max 0 keeps every message (the default keeps 500 and deletes
// older ones, which would make the count meaningless), and reverse DNS
// lookups are off, since every client is local.
func startMailpit(ctx context.Context, bin string) (*mailpit, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no Mailpit at %s: build it with `bash -c 'source scripts/lib.sh && ensure_mailpit'`, or pass -mail=false", bin)
	}
	smtpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cardflow-bench-mailpit-")
	if err != nil {
		return nil, err
	}
	m := &mailpit{smtpAddr: smtpAddr, apiURL: "http://" + apiAddr, dir: dir, exited: make(chan struct{})}
	m.cmd = exec.Command(bin, "--smtp", smtpAddr, "--listen", apiAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--max", "0", "--smtp-disable-rdns", "--disable-version-check", "-q")
	m.cmd.Stderr = &m.stderr
	if err := m.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("start Mailpit: %w", err)
	}
	go func() { _ = m.cmd.Wait(); close(m.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for !m.ready(ctx) {
		select {
		case <-m.exited:
			m.stop()
			return nil, fmt.Errorf("mailpit exited at start: %s", m.stderr.String())
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.stop()
			return nil, fmt.Errorf("mailpit did not answer on %s within 20s: %s", m.apiURL, m.stderr.String())
		}
	}
	return m, nil
}

func (m *mailpit) ready(ctx context.Context) bool {
	if _, err := m.count(ctx); err != nil {
		return false
	}
	conn, err := net.DialTimeout("tcp", m.smtpAddr, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// smtpURL is the worker's CARDS_SMTP_URL.
func (m *mailpit) smtpURL() string { return "smtp://" + m.smtpAddr + "?tls=none" }

// pid is Mailpit's process, for the CPU accounting.
func (m *mailpit) pid() int { return m.cmd.Process.Pid }

// count is how many messages Mailpit holds, from its API.
func (m *mailpit) count(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.apiURL+"/api/v1/messages?limit=1", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("mailpit API: %s", resp.Status)
	}
	var list struct {
		Total int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return 0, fmt.Errorf("mailpit API: %w", err)
	}
	return list.Total, nil
}

// stop ends Mailpit (politely first, so that it closes its database) and
// removes its messages.
func (m *mailpit) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
	_ = os.RemoveAll(m.dir)
}

// freeAddr is a free loopback host:port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
