package outage

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Tracker follows one dependency (PostgreSQL) through outages. Any code that
// sees an error reports it; the first unreachable error opens an outage,
// which is logged once, and a prober pings until the dependency answers,
// which closes it (logged once, with its duration). Between the two, Down
// says so, so that readiness probes and log filters agree.
type Tracker struct {
	// Name is the dependency in messages ("PostgreSQL").
	Name string
	// Address is the dependency's host:port, when known: network errors
	// from other addresses are not its outages.
	Address string
	// Ping checks the dependency; it must not block longer than its context.
	Ping func(context.Context) error
	// Every is how often the prober pings during an outage (default 1s).
	Every time.Duration
	// Log receives the two lines per outage; nil logs nothing.
	Log *zap.Logger
	// OnChange, when set, is called with true when an outage begins and
	// false when it ends (metrics).
	OnChange func(down bool)

	mu      sync.Mutex
	since   time.Time // zero when up
	lastErr error
	stop    chan struct{}
	done    chan struct{}
	closed  bool
}

// Observe reports the outcome of an operation on the dependency: an error
// whose cause is DatabaseUnreachable opens an outage if none is open, unless
// it is a network error from another address (an SMTP server refusing a
// connection looks the same). Other outcomes change nothing: only the
// prober closes an outage, so that an operation that did not touch the
// dependency cannot end it early.
func (t *Tracker) Observe(err error) {
	if Classify(err) != DatabaseUnreachable || t.otherAddress(err) {
		return
	}
	t.mu.Lock()
	if !t.since.IsZero() || t.closed {
		if !t.since.IsZero() {
			t.lastErr = err
		}
		t.mu.Unlock()
		return
	}
	t.since, t.lastErr = time.Now(), err
	t.stop, t.done = make(chan struct{}), make(chan struct{})
	stop, done := t.stop, t.done
	t.mu.Unlock()
	if t.Log != nil {
		t.Log.Warn(t.Name+" is unreachable; activities are retried until it answers (this is logged once per outage)", zap.Error(err))
	}
	if t.OnChange != nil {
		t.OnChange(true)
	}
	go t.probe(stop, done)
}

// otherAddress reports whether err is a network error to another port than
// the dependency's (host names may differ from the resolved address, ports
// do not).
func (t *Tracker) otherAddress(err error) bool {
	var opErr *net.OpError
	if t.Address == "" || !errors.As(err, &opErr) || opErr.Addr == nil {
		return false
	}
	remote, own := portOf(opErr.Addr.String()), portOf(t.Address)
	return remote != "" && own != "" && remote != own
}

func portOf(hostport string) string {
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return ""
	}
	return port
}

// Down reports whether an outage is open, since when, and its last error.
func (t *Tracker) Down() (down bool, since time.Time, lastErr error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.since.IsZero(), t.since, t.lastErr
}

// Close stops the prober.
func (t *Tracker) Close() {
	t.mu.Lock()
	t.closed = true
	stop, done := t.stop, t.done
	t.stop = nil
	t.mu.Unlock()
	if stop != nil {
		close(stop)
	}
	if done != nil {
		<-done
	}
}

func (t *Tracker) probe(stop <-chan struct{}, done chan<- struct{}) {
	every := interval(t.Every)
	probeEvery(stop, done, every, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), every*2)
		err := t.Ping(ctx)
		cancel()
		if err != nil {
			t.mu.Lock()
			t.lastErr = err
			t.mu.Unlock()
			return true
		}
		t.mu.Lock()
		began := t.since
		t.since, t.lastErr = time.Time{}, nil
		if t.stop == stop {
			t.stop = nil
		}
		t.mu.Unlock()
		if t.Log != nil {
			t.Log.Info(t.Name+" is reachable again", zap.Duration("outage", time.Since(began).Round(time.Millisecond)), zap.Time("since", began))
		}
		if t.OnChange != nil {
			t.OnChange(false)
		}
		return false
	})
}
