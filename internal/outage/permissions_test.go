package outage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestClassifyPermissionDenied(t *testing.T) {
	denied := &pq.Error{Code: "42501", Message: "permission denied for table notifications"}
	cases := []struct {
		err  error
		want Cause
		obj  Object
	}{
		{fmt.Errorf("claim notification c/requested/alice: %w", denied), PermissionDenied, Object{"table", "notifications"}},
		{&pq.Error{Code: "42501", Message: "permission denied for sequence card_events_id_seq"}, PermissionDenied, Object{"sequence", "card_events_id_seq"}},
		{&pq.Error{Code: "42501", Message: "permission denied for schema public"}, PermissionDenied, Object{"schema", "public"}},
		// An error that crossed Temporal keeps only its text.
		{temporal.NewApplicationError("claim notification: pq: permission denied for table notifications", "", nil), PermissionDenied, Object{"table", "notifications"}},
		// A refusal stays a refusal, whatever its text says.
		{temporal.NewNonRetryableApplicationError("permission denied for table cards", "NotAllowed", nil), Refusal, Object{}},
		{&pq.Error{Code: "42P01", Message: `relation "cards" does not exist`}, DatabaseError, Object{}},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
		if c.want != PermissionDenied {
			continue
		}
		if obj, ok := deniedObject(c.err.Error()); !ok || obj != c.obj {
			t.Errorf("deniedObject(%q) = %+v, %v, want %+v", c.err.Error(), obj, ok, c.obj)
		}
	}
}

// fakePrivileges is what the role lacks, per object, changed by the test.
type fakePrivileges struct {
	mu      sync.Mutex
	missing map[Object][]string
	lookups atomic.Int32
}

func (f *fakePrivileges) Missing(_ context.Context, obj Object) ([]string, error) {
	f.lookups.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.missing[obj], nil
}

func (f *fakePrivileges) grant(obj Object) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.missing, obj)
}

// A missing privilege is logged once, by name, however many attempts meet
// it, and once more when a check finds it granted; Denied says it meanwhile.
func TestPermissionsLogOncePerMissingPrivilegeUntilGranted(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	notifications := Object{"table", "notifications"}
	privs := &fakePrivileges{missing: map[Object][]string{notifications: {"INSERT"}}}
	changes := make(chan []Denial, 8)
	p := &Permissions{Missing: privs.Missing, Every: 10 * time.Millisecond, Log: zap.New(core), Fix: "grant it with worker migrate --grant-to app",
		OnChange: func(d []Denial) { changes <- d }}
	defer p.Close()

	p.Observe(errors.New("connection refused")) // not a permission
	p.Observe(fmt.Errorf("claim: %w", &pq.Error{Code: "23505", Message: "duplicate key"}))
	if d := p.Denied(); len(d) != 0 {
		t.Fatalf("denied after other errors: %v", d)
	}
	err := fmt.Errorf("claim notification: %w", &pq.Error{Code: "42501", Message: "permission denied for table notifications"})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() { defer wg.Done(); p.Observe(err) }()
	}
	wg.Wait()
	if got := p.DeniedText(); got != "INSERT on notifications" {
		t.Fatalf("DeniedText = %q, want INSERT on notifications", got)
	}
	if d := <-changes; len(d) != 1 || d[0].String() != "INSERT on notifications" {
		t.Fatalf("OnChange = %v", d)
	}
	errorsLogged := logs.FilterLevelExact(zap.ErrorLevel).All()
	if len(errorsLogged) != 1 {
		t.Fatalf("%d error lines for 20 attempts, want 1: %v", len(errorsLogged), errorsLogged)
	}
	line := errorsLogged[0]
	if !strings.Contains(line.Message, "lacks INSERT on notifications") || line.ContextMap()["privilege"] != "INSERT" ||
		line.ContextMap()["object"] != "notifications" || line.ContextMap()["fix"] != "grant it with worker migrate --grant-to app" {
		t.Fatalf("error line %q %v does not name the privilege, the table and the fix", line.Message, line.ContextMap())
	}

	privs.grant(notifications)
	select {
	case d := <-changes:
		if len(d) != 0 {
			t.Fatalf("after the grant OnChange = %v, want none", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the grant was not noticed within 5s")
	}
	if d := p.Denied(); len(d) != 0 {
		t.Fatalf("denied after the grant: %v", d)
	}
	if n := logs.FilterMessageSnippet("privilege granted: INSERT on notifications").Len(); n != 1 {
		t.Fatalf("%d granted lines, want 1", n)
	}

	// Revoked again: reported again.
	privs.mu.Lock()
	privs.missing[notifications] = []string{"INSERT", "UPDATE (status)"}
	privs.mu.Unlock()
	p.Observe(err)
	if got := p.DeniedText(); got != "INSERT on notifications; UPDATE (status) on notifications" {
		t.Fatalf("DeniedText after a second revoke = %q", got)
	}
	if n := logs.FilterLevelExact(zap.ErrorLevel).Len(); n != 3 {
		t.Fatalf("%d error lines after a second revoke of two privileges, want 3", n)
	}

	// One more revoked on the same object while it is reported: its
	// errors are not looked up again, the periodic check finds it.
	privs.mu.Lock()
	privs.missing[notifications] = []string{"DELETE", "INSERT", "UPDATE (status)"}
	privs.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for p.DeniedText() != "DELETE on notifications; INSERT on notifications; UPDATE (status) on notifications" {
		if time.Now().After(deadline) {
			t.Fatalf("DeniedText = %q 5s after a third revoke", p.DeniedText())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := logs.FilterLevelExact(zap.ErrorLevel).FilterMessageSnippet("lacks DELETE on notifications").Len(); n != 1 {
		t.Fatalf("%d error lines for the third revoke, want 1", n)
	}
}

// A refusal the check cannot trace to a privilege the worker names is
// still reported, for a while after the last error that met it.
func TestPermissionsReportUnnamedDenials(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	p := &Permissions{Missing: (&fakePrivileges{}).Missing, Every: 10 * time.Millisecond, Log: zap.New(core)}
	defer p.Close()
	p.Observe(&pq.Error{Code: "42501", Message: "permission denied for schema public"})
	if got := p.DeniedText(); got != "a privilege on schema public" {
		t.Fatalf("DeniedText = %q", got)
	}
	if n := logs.FilterLevelExact(zap.ErrorLevel).FilterMessageSnippet("schema public").Len(); n != 1 {
		t.Fatalf("%d error lines, want 1", n)
	}
}
