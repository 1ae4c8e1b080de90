package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// browserRun is a browser scenario (a tools/uicheck script under node)
// running beside its test, which waits on conditions meanwhile: the
// scenarios that hold the product at a moment (an order mid-run) for their
// screenshots, then let it go on.
type browserRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	output bytes.Buffer
	ended  chan error
}

// startBrowser runs node script args... for at most 5 minutes.
func startBrowser(t *testing.T, node, script string, args ...string) *browserRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	b := &browserRun{t: t, ended: make(chan error, 1)}
	b.cmd = exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	b.cmd.Stdout, b.cmd.Stderr = &b.output, &b.output
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.ended <- b.cmd.Wait() }()
	return b
}

// fail stops the browser, logs what it printed and fails the test.
func (b *browserRun) fail(format string, args ...any) {
	b.t.Helper()
	_ = b.cmd.Process.Kill()
	<-b.ended
	b.t.Logf("browser scenarios:\n%s", b.output.String())
	b.t.Fatalf(format, args...)
}

// await polls cond until it holds; the test fails if the browser ends
// first or 2 minutes pass (last says what cond saw).
func (b *browserRun) await(what string, cond func() (ok bool, last string)) {
	b.t.Helper()
	var last string
	for deadline := time.Now().Add(2 * time.Minute); ; {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		select {
		case err := <-b.ended:
			b.ended <- err
			b.fail("the browser ended before %s (%s): %v", what, last, err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.fail("not %s within 2 minutes (%s)", what, last)
		}
	}
}

// awaitSignal waits for the signal file the script writes once it has
// shown what the test holds the product at.
func (b *browserRun) awaitSignal(what, path string) {
	b.t.Helper()
	b.await(what, func() (bool, string) {
		_, err := os.Stat(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			b.t.Fatal(err)
		}
		return err == nil, "no signal yet"
	})
}

// finish waits for the script's end, logs what it printed and fails the
// test if a scenario failed.
func (b *browserRun) finish() {
	b.t.Helper()
	err := <-b.ended
	b.t.Logf("browser scenarios:\n%s", b.output.String())
	if err != nil {
		b.t.Fatalf("browser scenarios failed: %v", err)
	}
}
