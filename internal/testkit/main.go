package testkit

import (
	"errors"
	"os"
	"sync"
	"testing"
)

// The servers and builds a test binary shares between its tests, stopped
// or removed when its tests are done.
var shared struct {
	mu      sync.Mutex
	inMain  bool
	cleanup []func()
}

// Main runs a test binary's tests, then stops what they shared (the dev
// server, the worker binary's build): a package whose tests call DevServer
// or WorkerBinary calls it from its TestMain. It starts nothing itself,
// so under -short nothing is started at all.
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.inMain = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	for i := len(shared.cleanup) - 1; i >= 0; i-- {
		shared.cleanup[i]()
	}
	shared.mu.Unlock()
	os.Exit(code)
}

// once is a thing a test binary's tests share: made by the first test
// that asks, undone by Main, its error given to every test that asks.
type once[T any] struct {
	once sync.Once
	val  T
	err  error
}

// get makes the thing on first use. start returns it and how to undo it
// (nil when nothing needs undoing, as for what outlives the run).
func (o *once[T]) get(t testing.TB, start func() (T, func(), error)) T {
	t.Helper()
	o.once.Do(func() {
		var undo func()
		o.val, undo, o.err = start()
		if undo == nil {
			return
		}
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if !shared.inMain {
			// Without Main nothing would undo it: it would outlive the binary.
			undo()
			o.err = errors.New("testkit: this package's tests share a server or build: add `func TestMain(m *testing.M) { testkit.Main(m) }`")
			return
		}
		shared.cleanup = append(shared.cleanup, undo)
	})
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.val
}
