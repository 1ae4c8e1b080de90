package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/mailpit"
)

// mailpitServer is a real Mailpit on free ports for one test, with the
// test's view of it: every call fails the test rather than returning an
// error. Its messages live in a file in the test's directory, so a stopped
// and restarted Mailpit still shows what it received before.
type mailpitServer struct {
	t *testing.T
	*mailpit.Server
}

// mailpitMessage is a message as Mailpit's list API shows it.
type mailpitMessage = mailpit.Message

func startMailpit(t *testing.T) *mailpitServer {
	t.Helper()
	s, err := mailpit.Start(context.Background(), mailpit.Options{
		Bin: filepath.Join(repoRoot(), "bin", "mailpit"), DBPath: filepath.Join(t.TempDir(), "mailpit.db"),
	})
	if err != nil {
		t.Fatalf("%v (make test builds it)", err)
	}
	t.Cleanup(s.Kill)
	return &mailpitServer{t: t, Server: s}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := mailpit.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// smtpURL is what the worker's CARDS_SMTP_URL would say.
func (m *mailpitServer) smtpURL() string { return m.SMTPURL() }

// start runs a stopped Mailpit again, on the same ports and messages.
func (m *mailpitServer) start() {
	m.t.Helper()
	if err := m.Start(context.Background()); err != nil {
		m.t.Fatal(err)
	}
}

// stop ends Mailpit (an outage, as far as the worker can tell).
func (m *mailpitServer) stop() { m.Kill() }

// messages lists every message Mailpit holds.
func (m *mailpitServer) messages() []mailpitMessage {
	m.t.Helper()
	msgs, err := m.Messages(context.Background())
	if err != nil {
		m.t.Fatalf("Mailpit API: %v", err)
	}
	return msgs
}

// count maps "recipient subject-prefix" to how many messages match: the
// tests' picture of who got what.
func (m *mailpitServer) count(filter func(mailpitMessage) bool) map[string]int {
	out := map[string]int{}
	for _, msg := range m.messages() {
		if filter == nil || filter(msg) {
			out[msg.Recipients()]++
		}
	}
	return out
}

// waitFor polls until ok holds for the messages, or fails the test.
func (m *mailpitServer) waitFor(within time.Duration, what string, ok func([]mailpitMessage) bool) []mailpitMessage {
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
		parts = append(parts, fmt.Sprintf("%s: %q", msg.Recipients(), msg.Subject))
	}
	return fmt.Sprintf("%d messages [%s]", len(msgs), strings.Join(parts, "; "))
}

// withSubject keeps the messages whose subject contains s.
func withSubject(s string) func(mailpitMessage) bool {
	return func(m mailpitMessage) bool { return strings.Contains(m.Subject, s) }
}

// text is one message's plain-text body.
func (m *mailpitServer) text(id string) string {
	m.t.Helper()
	text, err := m.Text(context.Background(), id)
	if err != nil {
		m.t.Fatal(err)
	}
	return text
}
