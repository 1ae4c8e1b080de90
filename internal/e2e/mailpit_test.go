package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mailpit is a real Mailpit (bin/mailpit, built by scripts/lib.sh's
// ensure_mailpit) on free ports, for one test. Its messages live in a file
// in the test's directory, so a stopped and restarted Mailpit still shows
// what it received before.
type mailpit struct {
	t        *testing.T
	smtpAddr string
	apiURL   string
	dbPath   string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// mailpitMessage is a message as Mailpit's list API shows it.
type mailpitMessage struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	To        []struct {
		Address string `json:"Address"`
	} `json:"To"`
}

func (m mailpitMessage) to() string {
	var out []string
	for _, a := range m.To {
		out = append(out, a.Address)
	}
	return strings.Join(out, ",")
}

func startMailpit(t *testing.T) *mailpit {
	t.Helper()
	m := &mailpit{t: t, smtpAddr: freeAddr(t), apiURL: "http://" + freeAddr(t), dbPath: filepath.Join(t.TempDir(), "mailpit.db")}
	m.start()
	t.Cleanup(m.stop)
	return m
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// smtpURL is what the worker's CARDS_SMTP_URL would say.
func (m *mailpit) smtpURL() string { return "smtp://" + m.smtpAddr + "?tls=none" }

// start runs Mailpit and waits until its API answers.
func (m *mailpit) start() {
	m.t.Helper()
	bin := filepath.Join(repoRoot(), "bin", "mailpit")
	if _, err := os.Stat(bin); err != nil {
		m.t.Fatalf("Mailpit not found at %s: run `bash -c 'source scripts/lib.sh && ensure_mailpit'` (make test does)", bin)
	}
	m.cmd = exec.Command(bin, "--smtp", m.smtpAddr, "--listen", strings.TrimPrefix(m.apiURL, "http://"),
		"--database", m.dbPath, "--disable-version-check", "-q")
	var stderr strings.Builder
	m.cmd.Stderr = &stderr
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start Mailpit: %v", err)
	}
	m.exited = make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(m.exited) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(m.apiURL + "/api/v1/messages?limit=1"); err == nil {
			resp.Body.Close()
			if conn, err := net.DialTimeout("tcp", m.smtpAddr, time.Second); err == nil {
				conn.Close()
				return
			}
		}
		select {
		case <-m.exited:
			m.t.Fatalf("Mailpit exited at start: %s", stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("Mailpit did not answer on %s within 20s: %s", m.apiURL, stderr.String())
		}
	}
}

// stop ends Mailpit (an outage, as far as the worker can tell).
func (m *mailpit) stop() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	<-m.exited
	m.cmd = nil
}

// messages lists every message Mailpit holds.
func (m *mailpit) messages() []mailpitMessage {
	m.t.Helper()
	resp, err := http.Get(m.apiURL + "/api/v1/messages?limit=1000")
	if err != nil {
		m.t.Fatalf("Mailpit API: %v", err)
	}
	defer resp.Body.Close()
	var list struct {
		Messages []mailpitMessage `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		m.t.Fatalf("Mailpit API: %v", err)
	}
	return list.Messages
}

// count maps "recipient subject-prefix" to how many messages match: the
// tests' picture of who got what.
func (m *mailpit) count(filter func(mailpitMessage) bool) map[string]int {
	out := map[string]int{}
	for _, msg := range m.messages() {
		if filter == nil || filter(msg) {
			out[msg.to()]++
		}
	}
	return out
}

// waitFor polls until ok holds for the messages, or fails the test.
func (m *mailpit) waitFor(within time.Duration, what string, ok func([]mailpitMessage) bool) []mailpitMessage {
	m.t.Helper()
	deadline := time.Now().Add(within)
	for {
		msgs := m.messages()
		if ok(msgs) {
			return msgs
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("Mailpit: %s did not happen within %s; it holds %s", what, within, describe(msgs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func describe(msgs []mailpitMessage) string {
	var parts []string
	for _, msg := range msgs {
		parts = append(parts, fmt.Sprintf("%s: %q", msg.to(), msg.Subject))
	}
	return fmt.Sprintf("%d messages [%s]", len(msgs), strings.Join(parts, "; "))
}

// withSubject keeps the messages whose subject contains s.
func withSubject(s string) func(mailpitMessage) bool {
	return func(m mailpitMessage) bool { return strings.Contains(m.Subject, s) }
}

// text is one message's plain-text body.
func (m *mailpit) text(id string) string {
	m.t.Helper()
	resp, err := http.Get(m.apiURL + "/view/" + id + ".txt")
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
