package outage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	cases := []struct {
		err  error
		want Cause
	}{
		{nil, ""},
		{fmt.Errorf("read user u1: %w", refused), DatabaseUnreachable},
		{fmt.Errorf("read user u1: %w", &pq.Error{Code: "57P03", Message: "the database system is starting up"}), DatabaseUnreachable},
		{&pq.Error{Code: "08006"}, DatabaseUnreachable},
		{fmt.Errorf("insert: %w", &pq.Error{Code: "42P01", Message: `relation "cards" does not exist`}), DatabaseError},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), Timeout},
		{errors.New("read tcp 127.0.0.1:5000->127.0.0.1:5432: read: connection reset by peer"), DatabaseUnreachable},
		{errors.New("driver: bad connection"), DatabaseUnreachable},
		{errors.New("something else"), Other},
		{temporal.NewNonRetryableApplicationError("user u1 is inactive", "UserNotActive", nil), Refusal},
		{temporal.NewApplicationError("dial tcp: connection refused", "", nil), DatabaseUnreachable},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// An outage is logged once however many errors report it, and once when the
// prober finds the dependency back, with the duration.
func TestTrackerLogsOncePerOutage(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	var up atomic.Bool
	changes := make(chan bool, 4)
	tr := &Tracker{Name: "PostgreSQL", Every: 10 * time.Millisecond, Log: zap.New(core),
		Ping: func(context.Context) error {
			if up.Load() {
				return nil
			}
			return errors.New("connection refused")
		},
		OnChange: func(down bool) { changes <- down },
	}
	defer tr.Close()
	refused := errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	tr.Observe(errors.New("relation does not exist")) // not an outage
	if down, _, _ := tr.Down(); down {
		t.Fatal("a database error opened an outage")
	}
	for range 50 {
		tr.Observe(refused)
	}
	if c := <-changes; !c {
		t.Fatal("first change is not down")
	}
	if down, since, err := tr.Down(); !down || since.IsZero() || err == nil {
		t.Fatalf("Down() = %v %v %v after unreachable errors", down, since, err)
	}
	up.Store(true)
	select {
	case c := <-changes:
		if c {
			t.Fatal("second change is not up")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the prober did not find the dependency back within 5s")
	}
	if down, _, _ := tr.Down(); down {
		t.Fatal("still down after the prober succeeded")
	}
	if n := logs.FilterMessageSnippet("is unreachable").Len(); n != 1 {
		t.Fatalf("%d unreachable lines, want 1", n)
	}
	back := logs.FilterMessageSnippet("reachable again").All()
	if len(back) != 1 || back[0].ContextMap()["outage"] == nil {
		t.Fatalf("reachable-again lines: %+v", back)
	}
	// A refused connection to another port (an SMTP server) is not an
	// outage of this dependency.
	tr.Address = "db.example.com:5432"
	tr.Observe(&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1025}, Err: errors.New("connect: connection refused")})
	if down, _, _ := tr.Down(); down {
		t.Fatal("a refused SMTP connection opened a PostgreSQL outage")
	}
	// A second outage is reported again.
	up.Store(false)
	tr.Observe(&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 5432}, Err: errors.New("connect: connection refused")})
	if c := <-changes; !c {
		t.Fatal("the second outage did not open")
	}
	if n := logs.FilterMessageSnippet("is unreachable").Len(); n != 2 {
		t.Fatalf("%d unreachable lines after a second outage, want 2", n)
	}
}
