package activities_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cardflow/cardflow/internal/ca"
)

// fakeCA is the CA port in memory: certificates by serial with their OCSP
// status, and the calls made, so a test sees what the activities asked.
type fakeCA struct {
	mu     sync.Mutex
	status map[string]ca.Status
	calls  []string
	// lagging makes Status report good once after a hold (an OCSP
	// responder behind the database).
	lagging bool
}

func newFakeCA() *fakeCA { return &fakeCA{status: map[string]ca.Status{}} }

func (f *fakeCA) Issue(_ context.Context, r ca.IssueRequest) (ca.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	serial := ca.SerialText(r.CardID, r.Usage, r.Generation)
	if _, ok := f.status[serial]; !ok {
		f.status[serial] = ca.StatusGood
	}
	f.calls = append(f.calls, "issue "+serial)
	return ca.Certificate{Usage: r.Usage, Serial: serial, PEM: "-----BEGIN CERTIFICATE-----\n" + serial + "\n-----END CERTIFICATE-----\n", NotAfter: r.NotAfter}, nil
}

func (f *fakeCA) change(op, serial string, to ca.Status) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op+" "+serial)
	st, ok := f.status[serial]
	switch {
	case !ok:
		return fmt.Errorf("%s %s: %w", op, serial, ca.ErrNotFound)
	case st == ca.StatusRevoked && to != ca.StatusRevoked:
		return &ca.PermanentError{Err: errors.New("certificate " + serial + " is revoked for good")}
	}
	f.status[serial] = to
	return nil
}

func (f *fakeCA) Hold(_ context.Context, serial string) error {
	return f.change("hold", serial, ca.StatusHold)
}
func (f *fakeCA) Release(_ context.Context, serial string) error {
	return f.change("release", serial, ca.StatusGood)
}
func (f *fakeCA) Revoke(_ context.Context, serial string, _ ca.Reason) error {
	return f.change("revoke", serial, ca.StatusRevoked)
}

func (f *fakeCA) Status(_ context.Context, serial string) (ca.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.status[serial]
	if !ok {
		return "", fmt.Errorf("status %s: %w", serial, ca.ErrNotFound)
	}
	if f.lagging {
		f.lagging = false
		return ca.StatusGood, nil
	}
	return st, nil
}

func (f *fakeCA) statusOf(serial string) ca.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status[serial]
}
