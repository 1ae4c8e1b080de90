package notify_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/store"
)

// A batch of queued events is sent in one claim, each e-mail once, and
// leaves the outbox; the statements it cost are counted and reported.
func TestDispatcherSendsQueuedEventsOnceAndEmptiesTheOutbox(t *testing.T) {
	w := newWorld(t)
	const requested = 10
	for range requested {
		w.queue()
	}
	w.decide()
	writes0, reads0 := w.store.Counts()
	// An hour's poll: only the first claim, at start, can send them.
	stop := run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: time.Hour}))
	want := requested*2 + 2
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.Messages()) >= want }) {
		t.Fatalf("%d messages, want %d", len(w.smtp.Messages()), want)
	}
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	stop() // so that the counts below are final
	for id, n := range w.messageIDs() {
		if n != 1 {
			t.Errorf("message %s sent %d times", id, n)
		}
	}
	if n := len(w.smtp.Messages()); n != want {
		t.Fatalf("%d messages, want %d", n, want)
	}
	if got := w.metrics.get("outbox/requested/handled"); got != requested || w.metrics.get("outbox/decided/handled") != 1 {
		t.Fatalf("metrics %v", w.metrics.n)
	}
	if got := w.metrics.get("requested/sent"); got != 2*requested {
		t.Fatalf("requested/sent %d, want %d", got, 2*requested)
	}
	writes, reads := w.store.Counts()
	events := requested + 1
	statements := (writes - writes0) + (reads - reads0)
	// Per requested event: one directory read (the approvers and the
	// people named), a claim and a record per approver with an address, a
	// skip for nomail (6); per decided: one read, claim and record for each
	// of the two people (5); per batch: one claim and one delete.
	if wantStatements := int64(requested*6 + 5 + 2); statements != wantStatements {
		t.Errorf("%d statements for %d events, want %d", statements, events, wantStatements)
	}
	t.Logf("%d events, %d e-mails: %d statements (%d writes, %d reads), %.2f per event, of which the outbox %.2f per event (1 claim + 1 delete per batch)",
		events, want, statements, writes-writes0, reads-reads0, float64(statements)/float64(events), 2/float64(events))
}

// While claims follow one another at once (full batches), each claim also
// deletes the previous batch's handled events: one outbox statement per
// batch, plus the last one that finds nothing.
func TestFullBatchesAreFinishedByTheNextClaim(t *testing.T) {
	w := newWorld(t)
	const events, batch = 6, 2
	for range events {
		w.queue()
	}
	writes0, reads0 := w.store.Counts()
	stop := run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Batch: batch, Poll: time.Hour}))
	waitFor(t, 10*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	stop() // so that the counts below are final
	if n := len(w.smtp.Messages()); n != 2*events {
		t.Fatalf("%d messages, want %d", n, 2*events)
	}
	writes, reads := w.store.Counts()
	outbox := (writes - writes0) + (reads - reads0) - events*6
	if want := int64(events/batch + 1); outbox != want {
		t.Fatalf("%d outbox statements for %d batches, want %d", outbox, events/batch, want)
	}
}

// A poke sends an event queued by this process at once, without waiting
// for the poll.
func TestPokeSendsAtOnce(t *testing.T) {
	w := newWorld(t)
	d := w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: time.Hour})
	_, reads0 := w.store.Counts()
	run(t, d)
	// Let the first (empty) claim pass, so that only the poke can find it.
	waitFor(t, 5*time.Second, "first claim", func() bool { _, reads := w.store.Counts(); return reads > reads0 })
	in := w.queue()
	start := time.Now()
	d.Poke()
	if !w.smtp.Wait(5*time.Second, func() bool { return len(w.smtp.Messages()) == 2 }) {
		t.Fatalf("%d messages 5s after a poke", len(w.smtp.Messages()))
	}
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	t.Logf("requested e-mails of %s sent %s after the poke", in.CardID, time.Since(start).Round(time.Millisecond))
}

// Events queued while the dispatcher gathers after a poke go out in one
// claim, not one claim each: under load the outbox costs a statement per
// batch, not per event.
func TestEventsQueuedAfterAPokeShareAClaim(t *testing.T) {
	w := newWorld(t)
	const gather = 3 * time.Second
	d := w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: time.Hour, Gather: gather})
	_, reads0 := w.store.Counts()
	run(t, d)
	waitFor(t, 5*time.Second, "first claim", func() bool { _, reads := w.store.Counts(); return reads > reads0 })
	_, reads0 = w.store.Counts()
	const events = 5
	var poked time.Time
	for i := range events {
		w.queue()
		if i == 0 {
			poked = time.Now()
		}
		d.Poke()
	}
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.Messages()) > 0 }) {
		t.Fatal("no message 10s after the pokes")
	}
	if waited := time.Since(poked); waited < gather {
		t.Fatalf("the first e-mail left %s after the first poke, before the %s gather window ended", waited, gather)
	}
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.Messages()) == 2*events }) {
		t.Fatalf("%d messages, want %d", len(w.smtp.Messages()), 2*events)
	}
	waitFor(t, 10*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	_, reads := w.store.Counts()
	// Each event reads the directory once; the rest are claims: the
	// gathered one and at most one more for the pokes folded meanwhile.
	if claims := reads - reads0 - events; claims > 2 {
		t.Fatalf("%d claims for %d events poked within the gather window, want at most 2", claims, events)
	}
}

// A temporary failure keeps the event queued, due after the backoff with
// the error recorded, and the retry sends only to the recipient who
// missed it; the failure is logged once.
func TestTemporaryFailureIsRetriedAfterTheBackoff(t *testing.T) {
	w := newWorld(t)
	core, logs := observer.New(zap.InfoLevel)
	w.smtp.Refuse("bernard@example.com", 451, "mailbox busy, try later")
	in := w.queue()
	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: 20 * time.Millisecond, Log: zap.New(core)}))

	var lastError string
	var dueIn float64
	waitFor(t, 5*time.Second, "the failure recorded", func() bool {
		err := w.store.DB.QueryRow(`SELECT last_error, extract(epoch FROM due_at - now()) FROM notification_outbox
			WHERE card_id = $1 AND attempts = 1 AND last_error <> ''`, in.CardID).Scan(&lastError, &dueIn)
		return err == nil
	})
	if !strings.Contains(lastError, "451") || dueIn < 1 || dueIn > 2.5 {
		t.Fatalf("after the failure: last_error %q, due in %.2fs; want the 451 and the 2s backoff", lastError, dueIn)
	}
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com"}) {
		t.Fatalf("mailed %v, want alice only", to)
	}
	w.smtp.Accept("bernard@example.com")
	waitFor(t, 10*time.Second, "outbox emptied after the backoff", func() bool { return w.outbox() == 0 })
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice once and bernard once", to)
	}
	if w.metrics.get("outbox/requested/retried") != 1 || w.metrics.get("outbox/requested/handled") != 1 {
		t.Fatalf("metrics %v", w.metrics.n)
	}
	if n := logs.FilterMessageSnippet("failed temporarily").Len(); n != 1 {
		t.Fatalf("%d warnings about the failure, want 1", n)
	}
	if n := logs.FilterMessageSnippet("works again").Len(); n != 1 {
		t.Fatalf("%d lines saying delivery works again, want 1", n)
	}
}

// An event still failing a day after it was queued is given up, with a
// warning; nothing is sent.
func TestAnEventStillFailingADayLaterIsGivenUp(t *testing.T) {
	w := newWorld(t)
	core, logs := observer.New(zap.InfoLevel)
	for _, to := range []string{"alice@example.com", "bernard@example.com"} {
		w.smtp.Refuse(to, 421, "service not available")
	}
	in := w.queue()
	if _, err := w.store.DB.Exec(`UPDATE notification_outbox SET created_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: 20 * time.Millisecond, Log: zap.New(core)}))
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	given := logs.FilterMessageSnippet("given up").All()
	if len(given) != 1 || given[0].ContextMap()["cardId"] != in.CardID || given[0].Level != zap.WarnLevel {
		t.Fatalf("given-up warnings %+v, want one naming %s", given, in.CardID)
	}
	if n := len(w.smtp.Messages()); n != 0 {
		t.Fatalf("%d messages sent", n)
	}
	if w.metrics.get("outbox/requested/given_up") != 1 {
		t.Fatalf("metrics %v", w.metrics.n)
	}
}

// Queued input that can never be sent is dropped with a warning, not
// retried forever.
func TestAnInvalidQueuedEventIsDropped(t *testing.T) {
	w := newWorld(t)
	core, logs := observer.New(zap.InfoLevel)
	if _, err := w.store.DB.Exec(`INSERT INTO notification_outbox (card_id, event, input) VALUES
		($1, 'decided', jsonb_build_object('event', 'decided', 'cardId', $2::text)),
		($1, 'reminder', '"not an object"')`, w.card.CardID, w.card.CardID); err != nil {
		t.Fatal(err)
	}
	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: 20 * time.Millisecond, Log: zap.New(core)}))
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	if n := logs.FilterMessageSnippet("can never be sent").Len(); n != 2 {
		t.Fatalf("%d warnings, want 2: %v", n, logs.All())
	}
	if w.metrics.get("outbox/decided/invalid") != 1 || w.metrics.get("outbox/reminder/invalid") != 1 {
		t.Fatalf("metrics %v", w.metrics.n)
	}
}

// Two dispatchers (two workers) on one outbox: every e-mail goes out once.
func TestTwoDispatchersNeverSendAnEventTwice(t *testing.T) {
	w := newWorld(t)
	const events = 40
	for range events {
		w.queue()
	}
	other := &counts{n: map[string]int{}}
	second, err := notify.New(w.config(), w.store, other)
	if err != nil {
		t.Fatal(err)
	}
	opts := notify.DispatcherOptions{Batch: 4, Poll: 20 * time.Millisecond}
	run(t, w.service(w.config()).Dispatcher(opts))
	run(t, second.Dispatcher(opts))
	if !w.smtp.Wait(30*time.Second, func() bool { return len(w.smtp.Messages()) >= 2*events }) {
		t.Fatalf("%d messages, want %d", len(w.smtp.Messages()), 2*events)
	}
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	ids := w.messageIDs()
	for id, n := range ids {
		if n != 1 {
			t.Errorf("message %s sent %d times", id, n)
		}
	}
	if len(ids) != 2*events || len(w.smtp.Messages()) != 2*events {
		t.Fatalf("%d distinct messages of %d, want %d", len(ids), len(w.smtp.Messages()), 2*events)
	}
	var sending int
	if err := w.store.DB.Get(&sending, `SELECT count(*) FROM notifications WHERE status = 'sending'`); err != nil || sending != 0 {
		t.Fatalf("%d e-mails left in doubt, %v", sending, err)
	}
	first, last := w.metrics.get("outbox/requested/handled"), other.get("outbox/requested/handled")
	if first+last != events {
		t.Fatalf("events handled %d + %d, want %d in all", first, last, events)
	}
	t.Logf("%d events: %d handled by the first dispatcher, %d by the second", events, first, last)
}

// A dispatcher that dies after the SMTP server took a message, before it
// recorded the send, leaves its claimed events leased: another dispatcher
// takes them when the lease ends, not before, and the notifications table's
// in-doubt rule keeps it from sending that message a second time.
func TestAKilledDispatchersEventsAreTakenOverAfterTheLeaseWithoutASecondCopy(t *testing.T) {
	w := newWorld(t)
	in := w.queue()
	sent := make(chan store.NotificationKey, 1)
	thaw := make(chan struct{})
	dying := w.config()
	dying.AfterSend = func(_ context.Context, key store.NotificationKey) {
		sent <- key
		<-thaw // frozen, as good as dead: nothing after the send runs
	}
	const lease = time.Second
	stopDying := run(t, w.service(dying).Dispatcher(notify.DispatcherOptions{Lease: lease, Poll: time.Hour}))
	var thawOnce sync.Once
	wake := func() { thawOnce.Do(func() { close(thaw) }) }
	t.Cleanup(wake) // before stopDying, which waits for it
	var first store.NotificationKey
	select {
	case first = <-sent:
	case <-time.After(10 * time.Second):
		t.Fatal("the first send did not happen")
	}
	var leaseEnd time.Time
	if err := w.store.DB.Get(&leaseEnd, `SELECT due_at FROM notification_outbox WHERE card_id = $1`, in.CardID); err != nil {
		t.Fatal(err)
	}

	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: 20 * time.Millisecond}))
	waitFor(t, 10*time.Second, "outbox emptied by the second dispatcher", func() bool { return w.outbox() == 0 })
	rows := w.rowsOf(in.CardID)
	other := "bernard"
	if first.Recipient == "bernard" {
		other = "alice"
	}
	if r := rows["requested/"+first.Recipient]; r.Status != store.NotificationSending {
		t.Fatalf("%s's row %+v, want sending (in doubt)", first.Recipient, r)
	}
	taken := rows["requested/"+other]
	if taken.Status != store.NotificationSent || taken.At.Before(leaseEnd) {
		t.Fatalf("%s's row %+v: want sent, not before the lease ended at %s", other, taken, leaseEnd)
	}
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice once and bernard once", to)
	}

	// The frozen dispatcher wakes up: what it does now changes nothing.
	wake()
	stopDying()
	if n := len(w.smtp.Messages()); n != 2 {
		t.Fatalf("%d messages after the first dispatcher woke up, want 2", n)
	}
	t.Logf("%s's e-mail in doubt, not resent; %s's sent %s after the lease ended", first.Recipient, other, taken.At.Sub(leaseEnd).Round(time.Millisecond))
}

// A dispatcher told to stop finishes the event in hand (so that no send is
// cut short and left in doubt) and puts the batch's other events back at
// once, for the next dispatcher.
func TestAStoppingDispatcherFinishesTheEventInHandAndPutsTheRestBack(t *testing.T) {
	w := newWorld(t)
	for range 3 {
		w.queue()
	}
	ctx, stop := context.WithCancel(context.Background())
	cfg := w.config()
	cfg.AfterSend = func(context.Context, store.NotificationKey) { stop() }
	done := runUntil(ctx, w.service(cfg).Dispatcher(notify.DispatcherOptions{Lease: time.Hour, Poll: time.Hour}))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the dispatcher did not stop")
	}
	if n := len(w.smtp.Messages()); n != 2 {
		t.Fatalf("%d messages at the stop, want the first event's 2", n)
	}
	var due int
	if err := w.store.DB.Get(&due, `SELECT count(*) FROM notification_outbox WHERE due_at <= now() AND attempts = 1`); err != nil || due != 2 {
		t.Fatalf("%d events due again at once, %v; want the 2 not started", due, err)
	}
	var sending int
	if err := w.store.DB.Get(&sending, `SELECT count(*) FROM notifications WHERE status = 'sending'`); err != nil || sending != 0 {
		t.Fatalf("%d e-mails left in doubt by a stop, %v", sending, err)
	}
	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: time.Hour}))
	waitFor(t, 5*time.Second, "outbox emptied by the next dispatcher", func() bool { return w.outbox() == 0 })
	if n := len(w.smtp.Messages()); n != 6 {
		t.Fatalf("%d messages, want 6", n)
	}
}

// PostgreSQL failing under the dispatcher is logged once, not per poll,
// and its recovery once; every error reaches Observe (the worker's outage
// tracker).
func TestADatabaseFailureIsLoggedOnce(t *testing.T) {
	w := newWorld(t)
	core, logs := observer.New(zap.InfoLevel)
	observed := make(chan error, 100)
	opts := notify.DispatcherOptions{Poll: 10 * time.Millisecond, Log: zap.New(core), Observe: func(err error) {
		select {
		case observed <- err:
		default:
		}
	}}
	if _, err := w.store.DB.Exec(`ALTER TABLE notification_outbox RENAME TO notification_outbox_away`); err != nil {
		t.Fatal(err)
	}
	run(t, w.service(w.config()).Dispatcher(opts))
	for i := range 5 {
		select {
		case <-observed:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d failed claims observed", i)
		}
	}
	if n := logs.FilterMessageSnippet("PostgreSQL failed").Len(); n != 1 {
		t.Fatalf("%d warnings after 5 failed polls, want 1", n)
	}
	if _, err := w.store.DB.Exec(`ALTER TABLE notification_outbox_away RENAME TO notification_outbox`); err != nil {
		t.Fatal(err)
	}
	w.queue()
	if !w.smtp.Wait(5*time.Second, func() bool { return len(w.smtp.Messages()) == 2 }) {
		t.Fatalf("%d messages after PostgreSQL came back", len(w.smtp.Messages()))
	}
	if n := logs.FilterMessageSnippet("PostgreSQL works again").Len(); n != 1 {
		t.Fatalf("%d lines saying PostgreSQL works again, want 1", n)
	}
}

// A stop whose grace runs out in the middle of a send puts the event back
// at once, not after its lease: the send in hand still has its outcome
// recorded (the grace bounds the work, not the bookkeeping of a send that
// is over), and the next dispatcher sends what is left, nothing twice.
func TestAStopCuttingASendShortPutsTheEventBack(t *testing.T) {
	w := newWorld(t)
	in := w.queue()
	ctx, stop := context.WithCancel(context.Background())
	cfg := w.config()
	var interrupted store.NotificationKey
	cfg.AfterSend = func(work context.Context, key store.NotificationKey) {
		interrupted = key
		stop()
		<-work.Done() // the send outlasts the stop grace
	}
	done := runUntil(ctx, w.service(cfg).Dispatcher(notify.DispatcherOptions{Lease: time.Hour, Poll: time.Hour, StopGrace: 100 * time.Millisecond}))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the dispatcher did not stop")
	}
	if r := w.rowsOf(in.CardID)["requested/"+interrupted.Recipient]; r.Status != store.NotificationSent {
		t.Fatalf("%s's row %+v, want sent (recorded after the grace)", interrupted.Recipient, r)
	}
	var due int
	if err := w.store.DB.Get(&due, `SELECT count(*) FROM notification_outbox WHERE due_at <= now()`); err != nil || due != 1 {
		t.Fatalf("%d events due at once after the stop, %v; want the interrupted one", due, err)
	}
	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: time.Hour}))
	waitFor(t, 5*time.Second, "outbox emptied by the next dispatcher", func() bool { return w.outbox() == 0 })
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice once and bernard once", to)
	}
}

// A batch so slow that half its lease is gone puts its events not started
// back, rather than work on them after their lease ran out; they are sent
// by the next claim, once each.
func TestASlowBatchPutsBackWhatItHasNotStarted(t *testing.T) {
	w := newWorld(t)
	for range 3 {
		w.queue()
	}
	cfg := w.config()
	var slowOnce sync.Once
	const lease = 400 * time.Millisecond
	var mu sync.Mutex
	claims := map[string]int{} // card -> the attempts its e-mails were sent under
	cfg.AfterSend = func(ctx context.Context, key store.NotificationKey) {
		var attempts int
		if err := w.store.DB.GetContext(ctx, &attempts, `SELECT attempts FROM notification_outbox WHERE card_id = $1`, key.CardID); err != nil {
			t.Error(err)
		}
		mu.Lock()
		claims[key.CardID] = attempts
		mu.Unlock()
		// The first message takes longer than half the lease: a fault
		// injected on purpose, not a wait for a result.
		slowOnce.Do(func() { time.Sleep(lease * 3 / 4) })
	}
	run(t, w.service(cfg).Dispatcher(notify.DispatcherOptions{Lease: lease, Poll: time.Hour}))
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.Messages()) >= 6 }) {
		t.Fatalf("%d messages, want 6", len(w.smtp.Messages()))
	}
	waitFor(t, 5*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	for id, n := range w.messageIDs() {
		if n != 1 {
			t.Errorf("message %s sent %d times", id, n)
		}
	}
	if got := w.metrics.get("outbox/requested/handled"); got != 3 {
		t.Fatalf("handled %d events, want 3", got)
	}
	mu.Lock()
	defer mu.Unlock()
	byAttempts := map[int]int{}
	for _, a := range claims {
		byAttempts[a]++
	}
	if byAttempts[1] != 1 || byAttempts[2] != 2 {
		t.Fatalf("events by the claim they were sent under %v, want the slow one under the first, the two put back under a second", byAttempts)
	}
}

// A claim that comes back full tells Backlog (the worker then wakes its
// next dispatcher to share the burst); one that does not, never.
func TestFullClaimsReportABacklog(t *testing.T) {
	w := newWorld(t)
	const events, batch = 5, 2
	for range events {
		w.queue()
	}
	var backlog atomic.Int32
	stop := run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Batch: batch, Poll: time.Hour,
		Backlog: func() { backlog.Add(1) }}))
	waitFor(t, 10*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	stop()
	// Claims of 2, 2, 1: two full ones.
	if n := backlog.Load(); n != events/batch {
		t.Fatalf("Backlog told %d times, want %d (once per full claim)", n, events/batch)
	}
}
