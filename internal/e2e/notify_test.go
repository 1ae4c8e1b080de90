package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/mailpit"
	"github.com/cardflow/cardflow/internal/notify"
	"github.com/cardflow/cardflow/internal/smtptest"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/internal/workerapp"
)

// The notifications section of the contract, end to end: the real worker
// on the dev server and PostgreSQL, mailing through a real Mailpit (or, for
// the 5xx, the in-process go-smtp server, which can refuse an address).

// mailConfig is the worker's e-mail configuration for smtpURL.
func mailConfig(smtpURL string) notify.Config {
	return notify.Config{SMTPURL: smtpURL, From: "cardflow <cards@example.com>", ConsoleURL: "http://console.example.com"}
}

// startMailWorker replaces the test's worker with one that mails.
func (h *harness) startMailWorker(mail notify.Config) {
	h.t.Helper()
	h.stopWorker()
	cfg := h.workerConfig(zaptest.NewLogger(h.t, zaptest.Level(zap.WarnLevel)))
	cfg.Mail = mail
	h.startWorkerWith(cfg)
}

// approverToo makes olivia, the requester, an approver as well: she must
// still not be asked to approve her own request.
func (h *harness) approverToo() {
	h.t.Helper()
	olivia := directory[0]
	olivia.Roles = []string{"approver", "operator"}
	if err := h.store.UpsertUserWithRoles(context.Background(), olivia); err != nil {
		h.t.Fatal(err)
	}
}

// notificationRows reads the card's notifications table rows as
// "event/recipient" -> status.
func (h *harness) notificationRows(cardID string) map[string]store.NotificationRow {
	h.t.Helper()
	rows, err := h.store.Notifications(context.Background(), cardID)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]store.NotificationRow{}
	for _, r := range rows {
		out[r.Event+"/"+r.Recipient] = r
	}
	return out
}

// outcomes is the status document's notifications as "event/recipient" -> outcome.
func outcomes(s cards.Status) map[string]string {
	out := map[string]string{}
	for _, n := range s.Notifications {
		out[n.Event+"/"+n.Recipient] = n.Outcome
	}
	return out
}

func (h *harness) finalStatus(cardID string) cards.Status {
	h.t.Helper()
	if err := h.wait(cardID); err != nil {
		h.t.Fatalf("workflow of %s: %v", cardID, err)
	}
	return h.statusOf("status", "--request", cardID)
}

// A standard card for carl (an approver himself): alice and bernard are
// asked, not olivia (the requester, also an approver), not carl (the card's
// user), not mallory (no role). Approving it tells olivia and carl, once.
func TestRequestAndDecisionMailTheRightPeopleOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mp := testkit.Mailpit(t)
	h.approverToo()
	h.startMailWorker(mailConfig(mp.SMTPURL()))

	s := h.request("carl", "")
	mp.WaitFor(20*time.Second, "two requested e-mails", func(m []mailpit.Message) bool { return len(m) >= 2 })
	requested := mp.Count(testkit.WithSubject("waits for your approval"))
	if fmt.Sprint(requested) != "map[alice@example.com:1 bernard@example.com:1]" {
		t.Fatalf("requested e-mails %v, want alice and bernard once each", requested)
	}
	msg := mp.List()[0]
	if msg.Subject != "Card request "+s.ID+" for Carl Clay waits for your approval" {
		t.Errorf("subject %q", msg.Subject)
	}
	if text := mp.PlainText(msg.ID); !strings.Contains(text, "http://console.example.com/cards/"+s.ID) || !strings.Contains(text, "Olivia Operator") {
		t.Errorf("body lacks the card link or the requester:\n%s", text)
	}

	h.statusOf("approve", "--request", s.ID, "--approver", "alice", "--comment", "badge office confirmed")
	h.finalStatus(s.ID)
	// The decided e-mails may follow the workflow's end: queued with the
	// transition, they are sent by the worker's outbox dispatcher.
	mp.WaitFor(20*time.Second, "four e-mails", func(m []mailpit.Message) bool { return len(m) >= 4 })
	all := mp.Count(nil)
	want := "map[alice@example.com:1 bernard@example.com:1 carl@example.com:1 olivia@example.com:1]"
	if fmt.Sprint(all) != want {
		t.Fatalf("e-mails %v, want %s", all, want)
	}
	decided := mp.List()
	for _, m := range decided {
		if strings.HasSuffix(m.Subject, ": approved") && !strings.Contains(mp.PlainText(m.ID), "badge office confirmed") {
			t.Errorf("decision e-mail to %s lacks the comment", m.Recipients())
		}
	}
	wantOutcomes := "map[decided/carl:sent decided/olivia:sent requested/alice:sent requested/bernard:sent]"
	h.waitForStatus(s.ID, 20*time.Second, func(s cards.Status) bool { return fmt.Sprint(outcomes(s)) == wantOutcomes })
	if r := h.starter("status", "--request", s.ID); !strings.Contains(r.stdout, "e-mail:      decided to carl at ") {
		t.Errorf("starter status does not list the e-mails:\n%s", r.stdout)
	}
	waitForMetrics(t, h.metricsURL, 10*time.Second, `cardflow_notifications_total{event="requested",outcome="sent"} 2`,
		`cardflow_notifications_total{event="decided",outcome="sent"} 2`)
	t.Logf("Mailpit saw %d messages: %v", len(mp.List()), all)
}

// A worker stopped right after the SMTP server took a message, before it
// recorded the send (the worst moment): the restarted worker does not send a
// second copy. The stop records the send on a context of its own, so the
// first recipient ends sent; had the process died instead, the row would stay
// sending and be reported in doubt (the notify package's tests kill the
// database connection to show that), and in neither case is it sent again.
func TestWorkerKilledAfterASendSendsNoSecondCopy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mp := testkit.Mailpit(t)
	sent := make(chan store.NotificationKey, 1)
	dying := mailConfig(mp.SMTPURL())
	dying.AfterSend = func(ctx context.Context, key store.NotificationKey) {
		select {
		case sent <- key:
		default:
		}
		<-ctx.Done() // the process dies here: nothing after the send runs
	}
	h.startMailWorker(dying)
	s := h.request("carl", "")
	var first store.NotificationKey
	select {
	case first = <-sent:
	case <-time.After(20 * time.Second):
		t.Fatal("no e-mail was sent within 20s")
	}
	if row := h.notificationRows(s.ID)["requested/"+first.Recipient]; row.Status != store.NotificationSending {
		t.Fatalf("%s's row %+v, want it sending while the worker is frozen after the send", first.Recipient, row)
	}
	h.stopWorker()

	h.startMailWorker(mailConfig(mp.SMTPURL()))
	other := "requested/alice"
	if first.Recipient == "alice" {
		other = "requested/bernard"
	}
	status := h.waitForStatus(s.ID, 90*time.Second, func(s cards.Status) bool {
		got := outcomes(s)
		return len(got) >= 2 && got[other] != "" && !strings.HasPrefix(got[other], "skipped: in doubt")
	})
	got := outcomes(status)
	if o := got["requested/"+first.Recipient]; o != "sent" && !strings.HasPrefix(o, "skipped: in doubt") {
		t.Fatalf("outcomes %v, want %s sent (recorded by the stop) or in doubt, never sent again", got, first.Recipient)
	}
	counts := mp.Count(nil)
	if fmt.Sprint(counts) != "map[alice@example.com:1 bernard@example.com:1]" {
		t.Fatalf("e-mails %v, want alice and bernard exactly once", counts)
	}
	t.Logf("Mailpit saw %d messages: %v (first sent to %s before the kill)", len(mp.List()), counts, first.Recipient)
}

// Mailpit is down while the card is decided: the decision is answered and
// written at once, and the e-mails go out once Mailpit is back.
func TestMailServerDownDuringADecision(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mp := testkit.Mailpit(t)
	h.startMailWorker(mailConfig(mp.SMTPURL()))
	s := h.request("carl", "")
	mp.WaitFor(20*time.Second, "two requested e-mails", func(m []mailpit.Message) bool { return len(m) == 2 })

	mp.Kill()
	began := time.Now()
	decided := h.statusOf("reject", "--request", s.ID, "--approver", "bernard", "--comment", "no budget")
	took := time.Since(began)
	if decided.State != cards.StateRejected || h.card(s.ID).State != cards.StateRejected {
		t.Fatalf("state %s (stored %s) right after the answer, want rejected", decided.State, h.card(s.ID).State)
	}
	if took > 10*time.Second {
		t.Fatalf("the rejection took %s with the mail server down, want an answer at once", took)
	}
	// The e-mail waits for Mailpit: its rows say retry.
	testkit.Eventually(t, 30*time.Second, func() (bool, string) {
		rows := h.notificationRows(s.ID)
		return rows["decided/olivia"].Status == store.NotificationRetry, fmt.Sprintf("no decided e-mail marked for retry: %v", rows)
	})

	mp.Restart()
	h.finalStatus(s.ID)
	mp.WaitFor(60*time.Second, "four e-mails", func(m []mailpit.Message) bool { return len(m) >= 4 })
	final := h.waitForStatus(s.ID, 20*time.Second, func(s cards.Status) bool {
		got := outcomes(s)
		return got["decided/olivia"] == "sent" && got["decided/carl"] == "sent"
	})
	counts := mp.Count(nil)
	if fmt.Sprint(counts) != "map[alice@example.com:1 bernard@example.com:1 carl@example.com:1 olivia@example.com:1]" {
		t.Fatalf("e-mails %v, want the two requested and the two decided ones, once each", counts)
	}
	if got := outcomes(final); got["decided/olivia"] != "sent" || got["decided/carl"] != "sent" {
		t.Fatalf("status notifications %v", got)
	}
	t.Logf("rejection answered in %s with Mailpit down; Mailpit saw %d messages: %v", took.Round(time.Millisecond), len(mp.List()), counts)
}

// A short approval timeout with remindBefore: each approver who has not
// acted is reminded exactly once, then the timeout aborts the card.
func TestReminderBeforeTheTimeoutIsSentOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	mp := testkit.Mailpit(t)
	h.writePolicy(testkit.Policy + `
  brief:
    approval: {required: true, approvers: 1, timeout: 6s, remindBefore: 4s}
`)
	h.startMailWorker(mailConfig(mp.SMTPURL()))
	s := h.request("carl", "brief")
	final := h.finalStatus(s.ID)
	if final.State != cards.StateAborted {
		t.Fatalf("state %s, want aborted by the timeout", final.State)
	}
	mp.WaitFor(20*time.Second, "six e-mails", func(m []mailpit.Message) bool { return len(m) >= 6 })
	reminders := mp.Count(testkit.WithSubject("Reminder:"))
	if fmt.Sprint(reminders) != "map[alice@example.com:1 bernard@example.com:1]" {
		t.Fatalf("reminders %v, want one each to alice and bernard", reminders)
	}
	aborted := mp.Count(testkit.WithSubject(": aborted"))
	if fmt.Sprint(aborted) != "map[carl@example.com:1 olivia@example.com:1]" {
		t.Fatalf("abort e-mails %v", aborted)
	}
	t.Logf("Mailpit saw %d messages: reminders %v, aborted %v", len(mp.List()), reminders, aborted)
}

// An SMTP 5xx for one address: recorded as failed, never asked again, and
// the other approvers are mailed.
func TestPermanentSMTPFailureIsRecordedAndNotRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	relay := smtptest.Start(t)
	relay.Refuse("bernard@example.com", 550, "mailbox unavailable")
	h.startMailWorker(mailConfig("smtp://" + relay.Addr + "?tls=none"))
	s := h.request("carl", "")
	h.waitForStatus(s.ID, 20*time.Second, func(s cards.Status) bool { return len(s.Notifications) == 2 })
	h.statusOf("approve", "--request", s.ID, "--approver", "alice")
	h.finalStatus(s.ID)
	final := h.waitForStatus(s.ID, 20*time.Second, func(s cards.Status) bool {
		got := outcomes(s)
		return got["decided/olivia"] == "sent" && got["decided/carl"] == "sent"
	})

	got := outcomes(final)
	if got["requested/alice"] != "sent" || !strings.HasPrefix(got["requested/bernard"], "failed: ") || !strings.Contains(got["requested/bernard"], "550") {
		t.Fatalf("status notifications %v, want bernard failed with the 550", got)
	}
	if row := h.notificationRows(s.ID)["requested/bernard"]; row.Status != store.NotificationFailed || row.Attempts != 1 {
		t.Fatalf("bernard's row %+v, want failed after one attempt", row)
	}
	if n := relay.RcptAttempts("bernard@example.com"); n != 1 {
		t.Fatalf("bernard's address was tried %d times, want once", n)
	}
	if len(relay.To("alice@example.com")) != 1 || len(relay.To("olivia@example.com")) != 1 || len(relay.To("carl@example.com")) != 1 {
		t.Fatalf("accepted %d messages, want alice, olivia and carl once each", len(relay.Messages()))
	}
	waitForMetrics(t, h.metricsURL, 10*time.Second, `cardflow_notifications_total{event="requested",outcome="failed"} 1`)
	t.Logf("the SMTP server accepted %d messages and refused bernard's address %d time(s)", len(relay.Messages()), relay.RcptAttempts("bernard@example.com"))
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// waitForMetrics polls the worker's /metrics until it has every line (a
// metric is counted just after the outcome it counts is recorded).
func waitForMetrics(t *testing.T, base string, within time.Duration, lines ...string) {
	t.Helper()
	testkit.Eventually(t, within, func() (bool, string) {
		metrics := scrape(t, base)
		for _, l := range lines {
			if !strings.Contains(metrics, l) {
				return false, fmt.Sprintf("metrics lack %s:\n%s", l, grepLines(metrics, "cardflow_notifications_total"))
			}
		}
		return true, ""
	})
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Without SMTP settings the worker says once that e-mail is off; a wrong
// setting stops it at start with a message naming the variable.
func TestWorkerSaysWhetherItMails(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.stopWorker()
	core, logs := observer.New(zap.InfoLevel)
	h.startWorkerWith(h.workerConfig(zap.New(core)))
	if n := logs.FilterMessageSnippet("E-mail notifications are off").Len(); n != 1 {
		t.Fatalf("%d lines say e-mail is off, want 1", n)
	}
	h.stopWorker()

	for smtpURL, want := range map[string]string{
		"smtp://127.0.0.1:1025?tls=sometimes": `tls="sometimes" is not none, opportunistic or mandatory`,
		"127.0.0.1:1025":                      "CARDS_SMTP_URL",
	} {
		cfg := h.workerConfig(zap.NewNop())
		cfg.Mail = mailConfig(smtpURL)
		err := workerapp.Run(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CARDS_SMTP_URL=%s: worker error %v, want one containing %q", smtpURL, err, want)
		}
	}
	cfg := h.workerConfig(zap.NewNop())
	cfg.Mail = notify.Config{SMTPURL: "smtp://127.0.0.1:1025?tls=none"}
	if err := workerapp.Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "CARDS_MAIL_FROM") {
		t.Errorf("no sender: worker error %v, want one naming CARDS_MAIL_FROM", err)
	}

	core, logs = observer.New(zap.InfoLevel)
	cfg = h.workerConfig(zap.New(core))
	cfg.Mail = mailConfig("smtp://127.0.0.1:1025?tls=none")
	h.startWorkerWith(cfg)
	if n := logs.FilterMessage("E-mail notifications on").Len(); n != 1 {
		t.Fatalf("%d lines say e-mail is on, want 1", n)
	}
}
