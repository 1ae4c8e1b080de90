package notify_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/pgproxy"
	"github.com/cardflow/cardflow/internal/smtptest"
	"github.com/cardflow/cardflow/internal/store"
)

// claimStatement is a fragment of the text of the statement that claims a
// recipient's row (store.ClaimNotification).
const claimStatement = "'sending')"

// proxied is a second store on the world's database, reached through a
// proxy that can lose the answers of chosen statements after they commit.
func (w *world) proxied() (*store.Store, *pgproxy.Proxy) {
	w.t.Helper()
	proxy, url := pgproxy.For(w.t, w.dbURL)
	st, err := store.Open(context.Background(), url, store.PoolOptions{MaxOpen: 4})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = st.Close() })
	return st, proxy
}

func (w *world) serviceOn(st *store.Store, cfg notify.Config) *notify.Service {
	w.t.Helper()
	svc, err := notify.New(cfg, st, w.metrics)
	if err != nil {
		w.t.Fatal(err)
	}
	return svc
}

// status is "event/recipient"'s row status of the world's card, "" when
// there is none.
func (w *world) status(cardID, key string) string {
	return w.rowsOf(cardID)[key].Status
}

// A recipient's claim commits, then the connection closes before its
// answer arrives (a failover, a pooler): the driver runs the claim again
// on another connection. The e-mail must still go out, once, and be
// recorded as sent, not reported "in doubt" unsent.
func TestAClaimWhoseAnswerIsLostToAClosedConnectionStillSendsTheEMailOnce(t *testing.T) {
	testLostClaimAnswer(t, pgproxy.Close)
}

// The same with a reset instead of a FIN: the claim fails with an error,
// and the e-mail must still go out once.
func TestAClaimWhoseAnswerIsLostToAResetStillSendsTheEMailOnce(t *testing.T) {
	testLostClaimAnswer(t, pgproxy.Reset)
}

func testLostClaimAnswer(t *testing.T, cut pgproxy.Cut) {
	w := newWorld(t)
	st, proxy := w.proxied()
	in := w.queue()
	proxy.LoseAnswer(claimStatement, 1, cut)
	run(t, w.serviceOn(st, w.config()).Dispatcher(notify.DispatcherOptions{Lease: 2 * time.Second, Poll: 50 * time.Millisecond}))
	waitFor(t, 15*time.Second, "outbox emptied", func() bool { return w.outbox() == 0 })
	if proxy.Cuts() != 1 {
		t.Fatalf("%d answers lost, want 1", proxy.Cuts())
	}
	rows := w.rowsOf(in.CardID)
	to := recipients(w.smtp.Messages())
	if !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) ||
		rows["requested/alice"].Status != store.NotificationSent || rows["requested/bernard"].Status != store.NotificationSent {
		t.Fatalf("mailed %v; alice %+v, bernard %+v; want both mailed once and recorded sent", to, rows["requested/alice"], rows["requested/bernard"])
	}
	if n := rows["requested/alice"].Attempts + rows["requested/bernard"].Attempts; n != 2 {
		t.Fatalf("attempts %d, want one each", n)
	}
}

// The answer of the dispatcher's claim of the outbox is lost: the events
// it leased are sent at once, not after the lease.
func TestALostOutboxClaimAnswerDoesNotWaitOutTheLease(t *testing.T) {
	w := newWorld(t)
	st, proxy := w.proxied()
	w.queue()
	proxy.LoseAnswer("WITH finished AS", 1, pgproxy.Close)
	started := time.Now()
	run(t, w.serviceOn(st, w.config()).Dispatcher(notify.DispatcherOptions{Lease: 30 * time.Second, Poll: 50 * time.Millisecond}))
	if !w.smtp.Wait(10*time.Second, func() bool { return len(w.smtp.Messages()) >= 2 }) {
		t.Fatalf("%d messages 10s after the dispatcher started (lease 30s; answers lost %d)", len(w.smtp.Messages()), proxy.Cuts())
	}
	if proxy.Cuts() != 1 {
		t.Fatalf("%d answers lost, want 1", proxy.Cuts())
	}
	t.Logf("e-mails sent %s after the dispatcher started, its claim's answer lost (lease 30s)", time.Since(started).Round(time.Millisecond))
}

// A stop while the dispatcher waits for a hung SMTP server: Run returns
// within the stop grace (plus a little), and the claimed recipient, to
// whom nothing was sent, is recorded for a retry, not left "sending" (in
// doubt, never to be sent); the next dispatcher mails everyone.
func TestAStopWhileTheSMTPServerHangsRecordsTheOutcomeWithinTheGrace(t *testing.T) {
	w := newWorld(t)
	in := w.queue()
	hung := w.config()
	hung.SMTPURL = "smtp://" + smtptest.StartStalled(t, 5*time.Second, "421 try again later") + "?tls=none"
	ctx, stop := context.WithCancel(context.Background())
	const grace = 200 * time.Millisecond
	done := runUntil(ctx, w.service(hung).Dispatcher(notify.DispatcherOptions{Poll: time.Hour, StopGrace: grace}))
	waitFor(t, 5*time.Second, "a recipient claimed", func() bool {
		return slices.ContainsFunc(slices.Collect(maps.Values(w.rowsOf(in.CardID))), func(r store.NotificationRow) bool {
			return r.Status == store.NotificationSending
		})
	})
	stop()
	stopped := time.Now()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the dispatcher did not stop within 10s")
	}
	took := time.Since(stopped)
	var sending []string
	for k, r := range w.rowsOf(in.CardID) {
		if r.Status == store.NotificationSending {
			sending = append(sending, k)
		}
	}
	if took > grace+time.Second || len(sending) > 0 {
		t.Fatalf("Run returned %s after the stop (StopGrace %s); left sending: %v", took.Round(time.Millisecond), grace, sending)
	}
	t.Logf("Run returned %s after the stop (StopGrace %s); nothing left sending", took.Round(time.Millisecond), grace)
	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: 50 * time.Millisecond}))
	waitFor(t, 10*time.Second, "outbox emptied by the next dispatcher", func() bool { return w.outbox() == 0 })
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice and bernard once each", to)
	}
}

// Dispatcher A's lease runs out while it waits for a hung SMTP server on
// a recipient; B takes the event over, mails the rest and finishes it; A's
// send then fails temporarily. The recipient A recorded for a retry must
// still be mailed, not left "retry" with nothing queued to retry it.
func TestALeaseRunningOutMidEventLeavesNoRecipientWithoutARetry(t *testing.T) {
	w := newWorld(t)
	in := w.queue()
	hung := w.config()
	hung.SMTPURL = "smtp://" + smtptest.StartStalled(t, 2*time.Second, "421 try again later") + "?tls=none"
	opts := notify.DispatcherOptions{Lease: time.Second, Poll: 50 * time.Millisecond}
	stopA := run(t, w.service(hung).Dispatcher(opts))
	var first string
	waitFor(t, 5*time.Second, "A claims a recipient", func() bool {
		for k, r := range w.rowsOf(in.CardID) {
			if r.Status == store.NotificationSending {
				first = k
				return true
			}
		}
		return false
	})
	run(t, w.service(w.config()).Dispatcher(opts))
	waitFor(t, 10*time.Second, "A's send ends", func() bool { return w.status(in.CardID, first) != store.NotificationSending })
	stopA()
	waitFor(t, 15*time.Second, first+" mailed", func() bool {
		return w.status(in.CardID, first) == store.NotificationSent && w.outbox() == 0
	})
	if to := recipients(w.smtp.Messages()); !slices.Equal(to, []string{"alice@example.com", "bernard@example.com"}) {
		t.Fatalf("mailed %v, want alice and bernard once each", to)
	}
}

// A recipient left "retry" by a temporary failure who then loses their
// e-mail address is recorded as skipped, with the reason, when the event
// is tried again.
func TestARetryRecipientWhoLostTheirAddressIsSkipped(t *testing.T) {
	w := newWorld(t)
	w.smtp.Refuse("bernard@example.com", 451, "mailbox busy, try later")
	svc := w.service(w.config())
	if _, err := svc.Notify(context.Background(), w.card, nil); err == nil {
		t.Fatal("no temporary failure for bernard")
	}
	if s := w.status(w.card.CardID, "requested/bernard"); s != store.NotificationRetry {
		t.Fatalf("bernard %q after the 451, want retry", s)
	}
	bernard := people[2]
	bernard.Email = ""
	if err := w.store.UpsertUserWithRoles(context.Background(), bernard); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Notify(context.Background(), w.card, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := w.rows()["requested/bernard"]
	if row.Status != store.NotificationSkipped || row.Error != "no e-mail address in the directory" ||
		outcomes(res)["bernard"] != "skipped: no e-mail address in the directory" {
		t.Fatalf("bernard %+v, outcome %q; want skipped for want of an address", row, outcomes(res)["bernard"])
	}
}

// A recipient left "retry" who is no longer a recipient when the event
// is tried again (the approver role taken away) is recorded as skipped,
// with the reason, when the event is finished.
func TestARetryRecipientWhoLeftTheRecipientsIsSkippedWhenTheEventIsFinished(t *testing.T) {
	w := newWorld(t)
	w.smtp.Refuse("bernard@example.com", 451, "mailbox busy, try later")
	in := w.queue()
	run(t, w.service(w.config()).Dispatcher(notify.DispatcherOptions{Poll: 50 * time.Millisecond}))
	waitFor(t, 5*time.Second, "bernard's temporary failure", func() bool {
		return w.status(in.CardID, "requested/bernard") == store.NotificationRetry
	})
	bernard := people[2]
	bernard.Roles = nil
	if err := w.store.UpsertUserWithRoles(context.Background(), bernard); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "outbox emptied after the backoff", func() bool { return w.outbox() == 0 })
	row := w.rowsOf(in.CardID)["requested/bernard"]
	if row.Status != store.NotificationSkipped || row.Error == "" {
		t.Fatalf("bernard %+v, want skipped with the reason", row)
	}
	t.Logf("bernard: %s", row.Notification().Outcome)
}
