package order_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/order"
)

// orderChangeID is the Order workflow's change id (order.go).
const orderChangeID = "order"

// atVersion runs every run of an order at version v of its change id, as
// an execution that recorded v would.
func atVersion(v workflow.Version) func(env *testsuite.TestWorkflowEnvironment, run int) {
	return func(env *testsuite.TestWorkflowEnvironment, _ int) { env.OnGetVersion(orderChangeID, 1, 2).Return(v) }
}

// requireBatchesInOrder checks the writes of an order of n items: never
// two at once, every item started and ended in exactly one batch each, its
// start in the batch of its end or an earlier one.
func requireBatchesInOrder(t *testing.T, b *book, n int) {
	t.Helper()
	require.Equal(t, 1, b.maxWriting, "one progress write at a time")
	startedIn, endedIn := map[int]int{}, map[int]int{}
	for i, w := range b.writes {
		for _, seq := range w.started {
			_, twice := startedIn[seq]
			require.False(t, twice, "item %d started in two batches", seq)
			startedIn[seq] = i
		}
		for _, seq := range w.ended {
			_, twice := endedIn[seq]
			require.False(t, twice, "item %d ended in two batches", seq)
			endedIn[seq] = i
		}
	}
	for seq := 1; seq <= n; seq++ {
		e, ended := endedIn[seq]
		if !ended {
			continue
		}
		s, started := startedIn[seq]
		require.True(t, started, "item %d ended without a start", seq)
		require.LessOrEqual(t, s, e, "item %d: its start is written after its end", seq)
		require.Equal(t, 1, b.ends[seq], "item %d's end recorded once", seq)
	}
}

// Version 2 writes progress without stopping the window: with writes that
// take 3 s and items that take 1 s (a window of 4), items begin while a
// write runs (two waves of 4 per write once the window is going); writes
// never overlap and keep their order, every item ends once, and the order
// still continues as new (40 items, 15 a run: three runs). Version 1, on
// the same order, begins nothing while a write runs: the test tells the
// two apart.
func TestVersion2StartsItemsWhileProgressIsWritten(t *testing.T) {
	const n = 40
	in := order.Input{OrderID: "o5", Kind: order.KindRequest, Operator: "olivia", Users: []string{"u001"}, Window: 4, ContinueAfter: 15, FlushEvery: 6}
	// Items begun strictly between a write's start and its end: the
	// workflow started them while the write ran.
	begunDuringWrites := func(b *book) int {
		n := 0
		for _, w := range b.writes {
			for _, at := range b.begun {
				if at.within(w.from, w.to) {
					n++
				}
			}
		}
		return n
	}
	for _, tc := range []struct {
		name    string
		version workflow.Version
	}{{"version 2", 2}, {"version 1", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook(n)
			b.writeTook = 3 * time.Second
			var seen []int
			runs, doc, err := b.run(t, in, func(env *testsuite.TestWorkflowEnvironment, run int) {
				atVersion(tc.version)(env, run)
				observeWindow(env, &seen)
			})
			require.NoError(t, err)
			require.Equal(t, 3, runs, "15 + 15 + 10 items")
			require.Equal(t, store.OrderCompleted, doc.State)
			require.Equal(t, store.OrderCounts{Total: n, Done: n}, doc.Counts)
			for seq := 1; seq <= n; seq++ {
				require.Equal(t, 1, b.starts[seq], "item %d requested once", seq)
			}
			requireBatchesInOrder(t, b, n)
			during := begunDuringWrites(b)
			t.Logf("%s: %d writes, %d items begun while one ran; window seen %v", tc.name, len(b.writes), during, seen)
			if tc.version == 1 {
				require.Zero(t, during, "version 1 stops the window while it writes")
				return
			}
			require.GreaterOrEqual(t, during, 2*in.Window, "version 2 keeps starting items while a write runs")
		})
	}
}

// Version 2 fetches the next page while the queue still holds items: with
// fetches of half a second, each page after the first is asked for while
// the window is full of the page before's last items (at most 100 - 4 of
// its items have finished); version 1 asks only once its queue is empty
// and one of those has ended. 230 items, pages of 100: three fetches,
// every item once.
func TestVersion2FetchesBeforeTheQueueRunsEmpty(t *testing.T) {
	in := order.Input{OrderID: "o6", Kind: order.KindRequest, Operator: "olivia", Users: []string{"u001"}, Window: 4, ContinueAfter: 1000}
	for _, tc := range []struct {
		name    string
		version workflow.Version
	}{{"version 2", 2}, {"version 1", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBook(230)
			b.fetchTook = 500 * time.Millisecond
			runs, doc, err := b.run(t, in, atVersion(tc.version))
			require.NoError(t, err)
			require.Equal(t, 1, runs)
			require.Equal(t, store.OrderCounts{Total: 230, Done: 230}, doc.Counts)
			for seq := 1; seq <= 230; seq++ {
				require.Equal(t, 1, b.starts[seq], "item %d requested once", seq)
			}
			requireBatchesInOrder(t, b, 230)
			t.Logf("%s: fetches %+v", tc.name, b.fetches)
			require.Len(t, b.fetches, 3)
			for i, f := range b.fetches {
				require.Equal(t, []int{0, 100, 200}[i], f.after)
				if i == 0 {
					continue
				}
				if tc.version == 1 {
					require.Greater(t, f.finishedBefore, f.after-in.Window, "version 1 fetches once its queue is empty and a slot is free")
					continue
				}
				require.LessOrEqual(t, f.finishedBefore, f.after-in.Window, "fetch %d: asked for only once the window had room", i+1)
			}
		})
	}
}

// An order cancelled from Temporal while items run and a progress write
// is in flight (version 2): the running items finish and are recorded,
// the write is not cut short, the items not started are skipped with the
// reason and never requested, and the order ends cancelled with counts
// that add up.
func TestVersion2CancelWaitsForItemsAndTheWrite(t *testing.T) {
	b := newBook(23)
	b.writeTook = 3 * time.Second
	in := order.Input{OrderID: "o7", Kind: order.KindRequest, Operator: "olivia", Users: []string{"u001"}, Window: 4, FlushEvery: 6}
	var inFlight int
	_, doc, err := b.run(t, in, func(env *testsuite.TestWorkflowEnvironment, _ int) {
		env.RegisterDelayedCallback(func() {
			b.mu.Lock()
			inFlight = b.writing
			b.mu.Unlock()
			env.CancelWorkflow()
		}, 2500*time.Millisecond)
	})
	require.NoError(t, err)
	require.Equal(t, 1, inFlight, "a write runs when the order is cancelled")
	require.Equal(t, store.OrderCancelled, doc.State)
	require.Equal(t, store.OrderCancelled, b.state)
	var done, skipped int
	for _, it := range b.items {
		switch it.State {
		case store.ItemDone:
			done++
			require.Equal(t, 1, b.starts[it.Seq], "item %d requested once", it.Seq)
			require.Equal(t, 1, b.ends[it.Seq], "item %d ended once", it.Seq)
		case store.ItemSkipped:
			skipped++
			require.Zero(t, b.starts[it.Seq], "skipped item %d was requested", it.Seq)
			require.Zero(t, b.ends[it.Seq])
			require.Equal(t, b.cancelReason, it.Reason)
		default:
			t.Fatalf("item %d is %s after the cancel", it.Seq, it.State)
		}
	}
	require.Contains(t, b.cancelReason, "cancelled")
	require.Len(t, b.begun, done, "every item begun finished")
	require.Positive(t, done)
	require.Positive(t, skipped)
	require.Equal(t, store.OrderCounts{Total: 23, Done: done, Skipped: skipped}, doc.Counts)
	requireBatchesInOrder(t, b, 23)
}
