package testkit

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// Buffer is a writer that a test reads while a command or a process writes
// it, so that a test can wait for a line instead of sleeping.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Count returns how many lines contain every one of parts.
func (b *Buffer) Count(parts ...string) int {
	n := 0
	for _, line := range strings.Split(b.String(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// WaitFor waits until the output contains want, and fails the test with
// the output if it does not within the given time.
func (b *Buffer) WaitFor(t testing.TB, want string, within time.Duration) {
	t.Helper()
	Eventually(t, within, func() (bool, string) {
		out := b.String()
		return strings.Contains(out, want), "output does not contain " + want + ":\n" + out
	})
}
