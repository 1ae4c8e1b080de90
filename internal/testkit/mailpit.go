package testkit

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/mailpit"
)

// MailpitServer is a real Mailpit on free ports for one test, seen the
// way a test wants it: every call fails the test rather than returning an
// error. Its messages live in a file in the test's directory, so a stopped
// and restarted Mailpit still shows what it received before.
type MailpitServer struct {
	t testing.TB
	*mailpit.Server
}

// Mailpit starts a Mailpit (bin/mailpit) for the test, killed when it ends.
func Mailpit(t testing.TB) *MailpitServer {
	t.Helper()
	Integration(t)
	s, err := mailpit.Start(context.Background(), mailpit.Options{
		Bin: Bin(t, "mailpit"), DBPath: filepath.Join(t.TempDir(), "mailpit.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return &MailpitServer{t: t, Server: s}
}

// Restart runs a stopped Mailpit again, on the same ports and messages.
func (m *MailpitServer) Restart() {
	m.t.Helper()
	if err := m.Start(context.Background()); err != nil {
		m.t.Fatal(err)
	}
}

// List lists every message Mailpit holds.
func (m *MailpitServer) List() []mailpit.Message {
	m.t.Helper()
	msgs, err := m.Messages(context.Background())
	if err != nil {
		m.t.Fatalf("Mailpit API: %v", err)
	}
	return msgs
}

// Count maps recipients to how many of the messages that pass filter (nil:
// all) they got: the tests' picture of who got what.
func (m *MailpitServer) Count(filter func(mailpit.Message) bool) map[string]int {
	m.t.Helper()
	out := map[string]int{}
	for _, msg := range m.List() {
		if filter == nil || filter(msg) {
			out[msg.Recipients()]++
		}
	}
	return out
}

// WaitFor waits until ok holds for the messages, and returns them; it
// fails the test with what Mailpit holds if that does not happen in time.
func (m *MailpitServer) WaitFor(within time.Duration, what string, ok func([]mailpit.Message) bool) []mailpit.Message {
	m.t.Helper()
	var msgs []mailpit.Message
	Eventually(m.t, within, func() (bool, string) {
		msgs = m.List()
		return ok(msgs), "Mailpit: " + what + " did not happen; it holds " + describe(msgs)
	})
	return msgs
}

func describe(msgs []mailpit.Message) string {
	var parts []string
	for _, msg := range msgs {
		parts = append(parts, fmt.Sprintf("%s: %q", msg.Recipients(), msg.Subject))
	}
	return fmt.Sprintf("%d messages [%s]", len(msgs), strings.Join(parts, "; "))
}

// WithSubject keeps the messages whose subject contains s.
func WithSubject(s string) func(mailpit.Message) bool {
	return func(m mailpit.Message) bool { return strings.Contains(m.Subject, s) }
}

// PlainText is one message's plain-text body.
func (m *MailpitServer) PlainText(id string) string {
	m.t.Helper()
	text, err := m.Text(context.Background(), id)
	if err != nil {
		m.t.Fatal(err)
	}
	return text
}
