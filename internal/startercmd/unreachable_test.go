package startercmd

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
)

// closedAddress is a local address where nothing listens.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// With Temporal unreachable, the starter says so while it retries, then
// gives up after --temporal-wait with exit 1 and a message that names the
// address.
func TestUnreachableTemporalIsRetriedThenNamed(t *testing.T) {
	addr := closedAddress(t)
	var out, errOut bytes.Buffer
	start := time.Now()
	code := Run(context.Background(), []string{"--codec-keys", "none", "--temporal-address", addr, "--temporal-wait", "3s", "--json",
		"status", "--request", "0b0e6a7c-6f4e-4c57-9d43-6a3f1f0c0001"}, &out, &errOut)
	took := time.Since(start)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1; stderr: %s", code, errOut.String())
	}
	if took < 3*time.Second || took > 15*time.Second {
		t.Fatalf("gave up after %s, want about --temporal-wait (3s)", took)
	}
	progress := "starter: waiting: Temporal at " + addr + " is unreachable (connect: connection refused); retrying, giving up in"
	if !strings.Contains(errOut.String(), progress) {
		t.Fatalf("stderr lacks the progress line %q:\n%s", progress, errOut.String())
	}
	var doc errorDoc
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("stdout is not the error document: %v\n%s", err, out.String())
	}
	if doc.Error.Type != "TemporalUnreachable" || !strings.Contains(doc.Error.Message, addr) || !strings.Contains(doc.Error.Message, "gave up after 3s") {
		t.Fatalf("error document %+v does not name the address and the wait", doc.Error)
	}
}
