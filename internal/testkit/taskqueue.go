package testkit

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

var queueSeq atomic.Int64

// TaskQueue is a task queue name no other test uses, not even one in
// another package on the same dev server: the tests that share a server
// keep apart by it.
func TaskQueue(t testing.TB) string {
	t.Helper()
	return fmt.Sprintf("cards-test-%d-%d", time.Now().UnixNano(), queueSeq.Add(1))
}
