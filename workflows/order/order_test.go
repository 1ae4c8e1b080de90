package order_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/issuecard"
	"github.com/cardflow/cardflow/workflows/lane"
	"github.com/cardflow/cardflow/workflows/order"
)

var acts *activities.Activities

// book is the orders tables in memory, shared by every run of an order,
// counting what the workflow did to each item.
type book struct {
	mu      sync.Mutex
	state   string
	items   []store.OrderItem
	starts  map[int]int // item seq: how often it was started (requested or produced)
	ends    map[int]int // item seq: how often an end was recorded
	batches int
	station []string // the station of each production
	// fail says which cards' productions fail (per round).
	fail func(cardID string, round int) bool

	// begun is when each item began (a Request card called), on the
	// clock of the run's test environment; finished counts those that
	// returned. Each run (one environment) has a clock of its own.
	begun    []moment
	finished int
	runNo    int
	// writeTook and fetchTook are how long a progress write and a page
	// fetch take on the workflow's clock (0: at once).
	writeTook, fetchTook time.Duration
	// stateTook is how long SetOrderState takes (0: at once).
	stateTook time.Duration
	// writing is how many progress writes run now, maxWriting the most
	// at once; writes and fetches are each call, in order.
	writing, maxWriting int
	writes              []write
	fetches             []fetch
	// cancelReason is what CancelOrder gave the items it skipped.
	cancelReason string
}

// write is one RecordOrderProgress: its batch, and when it began and
// ended on the workflow's clock.
type write struct {
	from, to moment
	started  []int
	ended    []int
}

// fetch is one PendingOrderItems: the seq it fetched after and how many
// items had finished when it was called.
type fetch struct {
	after          int
	finishedBefore int
	got            int
}

func newBook(n int) *book {
	b := &book{starts: map[int]int{}, ends: map[int]int{}, fail: func(string, int) bool { return false }}
	for i := 1; i <= n; i++ {
		b.items = append(b.items, store.OrderItem{Seq: i, UserID: fmt.Sprintf("u%03d", i), CardID: fmt.Sprintf("c%03d", i)})
	}
	return b
}

func (b *book) counts() store.OrderCounts {
	var c store.OrderCounts
	for _, it := range b.items {
		c.Total++
		switch it.State {
		case store.ItemDone:
			c.Done++
		case store.ItemFailed:
			c.Failed++
		case store.ItemSkipped:
			c.Skipped++
		default:
			c.Running++
		}
	}
	return c
}

// run runs the order from in until it ends, one test environment per run
// (continue-as-new ends a run), and returns the runs it took, the last
// run's result and error. during, when set, is given each environment
// before it runs.
func (b *book) run(t *testing.T, in order.Input, during func(env *testsuite.TestWorkflowEnvironment, run int)) (int, order.Document, error) {
	t.Helper()
	for run := 1; ; run++ {
		require.Less(t, run, 100, "the order never ends")
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		b.mu.Lock()
		b.runNo = run
		b.mu.Unlock()
		b.mock(env)
		if during != nil {
			during(env, run)
		}
		env.ExecuteWorkflow(order.Order, in)
		require.True(t, env.IsWorkflowCompleted())
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			require.Equal(t, order.WorkflowType, can.WorkflowType.Name)
			var next order.Input
			require.NoError(t, converterGet(can, &next))
			require.Empty(t, next.Users, "the list travels in the first run only")
			in = next
			continue
		}
		var doc order.Document
		if err == nil {
			require.NoError(t, env.GetWorkflowResult(&doc))
		}
		return run, doc, err
	}
}

func converterGet(can *workflow.ContinueAsNewError, v any) error {
	return temporalDataConverter().FromPayloads(can.Input, v)
}

func (b *book) mock(env *testsuite.TestWorkflowEnvironment) {
	env.RegisterWorkflow(order.Order)
	env.RegisterActivity(acts)
	env.OnActivity(acts.CreateOrder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CreateOrderInput) (activities.CreatedOrder, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.state = store.OrderRunning
			for i := range b.items {
				b.items[i].State = store.ItemPending
				if strings.HasPrefix(b.items[i].UserID, "skip") {
					b.items[i].State, b.items[i].Reason = store.ItemSkipped, "not ready"
				}
			}
			return activities.CreatedOrder{CardType: "standard", Counts: b.counts()}, nil
		}).Maybe()
	// A fetch and a write are recorded when called (AfterFn) and when
	// they return: one at a time each, so the two pair up in order.
	env.OnActivity(acts.PendingOrderItems, mock.Anything, mock.Anything, mock.Anything, mock.Anything).AfterFn(func() time.Duration {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.fetches = append(b.fetches, fetch{finishedBefore: b.finished})
		return b.fetchTook
	}).Return(
		func(_ context.Context, _ string, after, limit int) ([]activities.OrderItemRef, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			var page []activities.OrderItemRef
			for _, it := range b.items {
				if it.Seq > after && it.State == store.ItemPending && len(page) < limit {
					page = append(page, activities.OrderItemRef{Seq: it.Seq, UserID: it.UserID, CardID: it.CardID})
				}
			}
			f := &b.fetches[len(b.fetches)-1]
			f.after, f.got = after, len(page)
			return page, nil
		}).Maybe()
	env.OnActivity(acts.RecordOrderProgress, mock.Anything, mock.Anything).AfterFn(func() time.Duration {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.writing++
		b.maxWriting = max(b.maxWriting, b.writing)
		b.writes = append(b.writes, write{from: b.now(env)})
		return b.writeTook
	}).Return(
		func(_ context.Context, in activities.RecordOrderProgressInput) (store.OrderCounts, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.writing--
			w := &b.writes[len(b.writes)-1]
			w.to, w.started = b.now(env), in.Started
			for _, e := range in.Ended {
				w.ended = append(w.ended, e.Seq)
			}
			b.batches++
			for _, s := range in.Started {
				if b.items[s-1].State == store.ItemPending {
					b.items[s-1].State = store.ItemRunning
				}
			}
			for _, e := range in.Ended {
				b.ends[e.Seq]++
				b.items[e.Seq-1].State, b.items[e.Seq-1].Reason = e.State, e.Reason
			}
			return b.counts(), nil
		}).Maybe()
	env.OnActivity(acts.SetOrderState, mock.Anything, mock.Anything).AfterFn(func() time.Duration {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.stateTook
	}).Return(
		func(_ context.Context, in activities.SetOrderStateInput) (store.OrderCounts, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.state = in.State
			return b.counts(), nil
		}).Maybe()
	env.OnActivity(acts.RepeatOrder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RepeatOrderInput) (int, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			n := 0
			for i := range b.items {
				if b.items[i].State == store.ItemFailed {
					b.items[i].State, b.items[i].Round = store.ItemPending, in.Round
					n++
				}
			}
			b.state = store.OrderRunning
			return n, nil
		}).Maybe()
	env.OnActivity(acts.CancelOrder, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CancelOrderInput) (store.OrderCounts, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			for i := range b.items {
				if b.items[i].State == store.ItemPending {
					b.items[i].State, b.items[i].Reason = store.ItemSkipped, in.Reason
				}
			}
			b.state, b.cancelReason = store.OrderCancelled, in.Reason
			return b.counts(), nil
		}).Maybe()
	// Each Request card takes a second: the window is what runs at once.
	env.OnActivity(acts.RequestOrderItem, mock.Anything, mock.Anything).AfterFn(func() time.Duration {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.begun = append(b.begun, b.now(env))
		return time.Second
	}).Return(
		func(_ context.Context, in activities.RequestOrderItemInput) (activities.ItemOutcome, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			b.finished++
			seq := b.seqOf(in.CardID)
			b.starts[seq]++
			return activities.ItemOutcome{State: store.ItemDone}, nil
		}).Maybe()
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in issuecard.Input) (lane.Status, error) {
		if err := workflow.Sleep(ctx, time.Second); err != nil {
			return lane.Status{}, err
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		seq := b.seqOf(in.CardID)
		b.starts[seq]++
		b.station = append(b.station, in.Station)
		round := 0
		if in.Action == issuecard.ActionRepeat {
			round = 1
		}
		if strings.HasPrefix(in.CardID, "refused") {
			return lane.Status{}, temporal.NewNonRetryableApplicationError("card is requested", cards.ErrInvalidState, nil)
		}
		if b.fail(in.CardID, round) {
			return lane.Status{CardID: in.CardID, State: cards.StateFailed, Reason: "station-1 stopped answering"}, nil
		}
		return lane.Status{CardID: in.CardID, State: cards.StateIssued}, nil
	}, workflow.RegisterOptions{Name: issuecard.WorkflowType})
}

// moment is a time on one run's clock.
type moment struct {
	run int
	at  time.Time
}

// within reports whether m lies strictly between from and to, on the
// same run's clock.
func (m moment) within(from, to moment) bool {
	return m.run == from.run && m.run == to.run && m.at.After(from.at) && m.at.Before(to.at)
}

// now is the current run's clock; b.mu is held.
func (b *book) now(env *testsuite.TestWorkflowEnvironment) moment {
	return moment{run: b.runNo, at: env.Now()}
}

func (b *book) seqOf(cardID string) int {
	for _, it := range b.items {
		if it.CardID == cardID {
			return it.Seq
		}
	}
	panic("unknown card " + cardID)
}

// observeWindow queries the running order every half second (between the
// one-second items) and records how many items ran.
func observeWindow(env *testsuite.TestWorkflowEnvironment, seen *[]int) {
	for i := 0; i < 200; i++ {
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(order.StatusQuery)
			if err != nil {
				return
			}
			var d order.Document
			if v.Get(&d) == nil {
				*seen = append(*seen, d.Window)
			}
		}, time.Duration(i)*time.Second+500*time.Millisecond)
	}
}

// A request order of 23 users with a window of 4 and a new run after 10
// starts: never more than 4 at once, the window kept full, three runs,
// every item requested and recorded once, progress in batches.
func TestRequestOrderWindowAndContinueAsNew(t *testing.T) {
	b := newBook(23)
	var seen []int
	in := order.Input{OrderID: "o1", Kind: order.KindRequest, Operator: "olivia", Users: []string{"u001"}, Window: 4, ContinueAfter: 10, FlushEvery: 6}
	runs, doc, err := b.run(t, in, func(env *testsuite.TestWorkflowEnvironment, _ int) { observeWindow(env, &seen) })
	require.NoError(t, err)
	t.Logf("doc %+v starts %v", doc, b.starts)
	require.Equal(t, 3, runs, "10 + 10 + 3 items")
	require.Equal(t, store.OrderCompleted, doc.State)
	require.Equal(t, store.OrderCounts{Total: 23, Done: 23}, doc.Counts)
	require.Equal(t, store.OrderCompleted, b.state)
	for seq := 1; seq <= 23; seq++ {
		require.Equal(t, 1, b.starts[seq], "item %d requested once", seq)
		require.Equal(t, 1, b.ends[seq], "item %d recorded once", seq)
	}
	sort.Ints(seen)
	require.NotEmpty(t, seen)
	require.Equal(t, 4, seen[len(seen)-1], "the window is full while items remain: %v", seen)
	require.Less(t, b.batches, 23, "progress is written in batches")
}

// An issue order: a refused card is skipped with the reason, a failed
// production makes the order wait; complete is refused while it runs;
// repeat on another station produces only the failed cards again, then
// the order completes by itself. Productions run as children on the cards'
// lanes.
func TestIssueOrderRepeatThenComplete(t *testing.T) {
	b := newBook(6)
	b.items[1].CardID = "refused-2"
	b.fail = func(cardID string, round int) bool { return (cardID == "c004" || cardID == "c005") && round == 0 }
	var early, repeat, again *sent
	in := order.Input{OrderID: "o2", Kind: order.KindIssue, Operator: "olivia", Cards: []string{"c001"}, Window: 2}
	_, doc, err := b.run(t, in, func(env *testsuite.TestWorkflowEnvironment, _ int) {
		env.RegisterDelayedCallback(func() { early = send(env, order.CompleteUpdate, order.CompleteInput{Operator: "olivia"}) }, 500*time.Millisecond)
		env.RegisterDelayedCallback(func() {
			repeat = send(env, order.RepeatUpdate, order.RepeatInput{Operator: "olivia", Station: "station-2"})
		}, time.Hour)
		env.RegisterDelayedCallback(func() { again = send(env, order.RepeatUpdate, order.RepeatInput{Operator: "olivia"}) }, time.Hour+500*time.Millisecond)
	})
	require.NoError(t, err)
	require.True(t, early.rejected, "complete while running is refused")
	require.Contains(t, early.err.Error(), "still running")
	require.True(t, repeat.completed)
	require.NoError(t, repeat.err)
	require.Equal(t, order.RepeatResult{Round: 1, Repeated: 2}, repeat.result)
	require.True(t, again.rejected, "a second repeat while the first runs is refused")
	require.Equal(t, store.OrderCompleted, doc.State)
	require.Equal(t, store.OrderCounts{Total: 6, Done: 5, Skipped: 1}, doc.Counts)
	require.Equal(t, 2, b.starts[4])
	require.Equal(t, 1, b.starts[1])
	require.Equal(t, "card is requested", b.items[1].Reason)
	require.Equal(t, []string{"station-2", "station-2"}, b.station[len(b.station)-2:])
}

// A waiting issue order completes on the operator's word, its failed cards
// staying failed; a request order refuses repeat.
func TestIssueOrderComplete(t *testing.T) {
	b := newBook(3)
	b.fail = func(cardID string, _ int) bool { return cardID == "c002" }
	var done *sent
	in := order.Input{OrderID: "o3", Kind: order.KindIssue, Operator: "olivia", Cards: []string{"c001"}}
	_, doc, err := b.run(t, in, func(env *testsuite.TestWorkflowEnvironment, _ int) {
		env.RegisterDelayedCallback(func() {
			v, qerr := env.QueryWorkflow(order.StatusQuery)
			require.NoError(t, qerr)
			var d order.Document
			require.NoError(t, v.Get(&d))
			require.Equal(t, store.OrderWaiting, d.State)
			done = send(env, order.CompleteUpdate, order.CompleteInput{Operator: "olivia"})
		}, time.Hour)
	})
	require.NoError(t, err)
	require.True(t, done.completed)
	require.NoError(t, done.err)
	require.Equal(t, store.OrderCompleted, doc.State)
	require.Equal(t, store.OrderCounts{Total: 3, Done: 2, Failed: 1}, doc.Counts)

	r := newBook(2)
	var refused *sent
	_, _, err = r.run(t, order.Input{OrderID: "o4", Kind: order.KindRequest, Operator: "olivia", Users: []string{"u001"}},
		func(env *testsuite.TestWorkflowEnvironment, _ int) {
			env.RegisterDelayedCallback(func() { refused = send(env, order.RepeatUpdate, order.RepeatInput{Operator: "olivia"}) }, 500*time.Millisecond)
		})
	require.NoError(t, err)
	require.True(t, refused.rejected)
	require.Contains(t, refused.err.Error(), "request order")
}

// sent records what the test environment reported for one update.
type sent struct {
	accepted, rejected, completed bool
	err                           error
	result                        any
}

func send(env *testsuite.TestWorkflowEnvironment, name string, arg any) *sent {
	u := &sent{}
	env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept: func() { u.accepted = true },
		OnReject: func(err error) { u.rejected, u.err = true, err },
		OnComplete: func(v any, err error) {
			u.completed, u.err, u.result = true, err, v
		},
	}, arg)
	return u
}

func temporalDataConverter() converter.DataConverter { return converter.GetDefaultDataConverter() }

// Version 2: a repeat sent while the round's end is being written (the
// row already shows every item ended; the workflow still writes waiting)
// waits for that write and is taken, not refused as still running.
func TestRepeatSentWhileTheRoundEndsIsTaken(t *testing.T) {
	b := newBook(4)
	b.fail = func(cardID string, round int) bool { return cardID == "c002" && round == 0 }
	b.stateTook = time.Hour
	var repeat *sent
	in := order.Input{OrderID: "o9", Kind: order.KindIssue, Operator: "olivia", Cards: []string{"c001"}, Window: 2}
	_, doc, err := b.run(t, in, func(env *testsuite.TestWorkflowEnvironment, _ int) {
		// The items end within seconds; the round's end takes an hour.
		env.RegisterDelayedCallback(func() {
			repeat = send(env, order.RepeatUpdate, order.RepeatInput{Operator: "olivia"})
		}, 30*time.Minute)
	})
	require.NoError(t, err)
	require.NotNil(t, repeat)
	require.False(t, repeat.rejected, "a repeat while the round ends is taken: %v", repeat.err)
	require.NoError(t, repeat.err)
	require.Equal(t, order.RepeatResult{Round: 1, Repeated: 1}, repeat.result)
	require.Equal(t, store.OrderCompleted, doc.State)
	require.Equal(t, store.OrderCounts{Total: 4, Done: 4}, doc.Counts)
}
