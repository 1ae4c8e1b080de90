package testkit

import (
	"strings"
	"testing"
	"time"
)

func TestPollReturnsOnceDone(t *testing.T) {
	calls := 0
	ok, state := Poll(5*time.Second, func() (bool, string) {
		calls++
		return calls == 3, "call " + string(rune('0'+calls))
	})
	if !ok || calls != 3 || state != "call 3" {
		t.Fatalf("Poll: ok %v after %d calls, state %q; want done at the third call", ok, calls, state)
	}
}

func TestPollGivesUpWithTheLastState(t *testing.T) {
	start := time.Now()
	calls := 0
	ok, state := Poll(100*time.Millisecond, func() (bool, string) {
		calls++
		return false, "still " + strings.Repeat("x", calls)
	})
	if took := time.Since(start); ok || took < 100*time.Millisecond || took > 2*time.Second {
		t.Fatalf("Poll: ok %v after %s; want false after about 100ms", ok, took)
	}
	if state != "still "+strings.Repeat("x", calls) {
		t.Fatalf("state %q is not the last one seen (call %d)", state, calls)
	}
}

func TestBufferCountsLinesWithEveryPart(t *testing.T) {
	var b Buffer
	_, _ = b.Write([]byte("a b\nb c\na c b\n"))
	if n := b.Count("a", "b"); n != 2 {
		t.Fatalf("Count(a, b) = %d, want 2", n)
	}
	b.WaitFor(t, "c b", time.Second)
}
