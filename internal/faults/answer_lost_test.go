package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/pgproxy"
	"github.com/cardflow/cardflow/internal/smtptest"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The worker's connection to PostgreSQL ends right after a recipient's
// claim committed, before its answer arrived: once with a FIN (a failover
// or a pooler closing client connections; the driver then runs the claim
// again on its own) and once with a reset. Every requested e-mail still
// goes out, once, and is recorded as sent; none is reported "in doubt".
func TestAConnectionClosedAfterAClaimCommitsLosesNoEMail(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.users(
		cards.User{ID: "alice", GivenName: "Alice", Surname: "Archer", UPN: "alice@example.com", Email: "alice@example.com", State: "active", Roles: []string{"approver"}},
		cards.User{ID: "bernard", GivenName: "Bernard", Surname: "Brook", UPN: "bernard@example.com", Email: "bernard@example.com", State: "active", Roles: []string{"approver"}})
	holders := w.cardholders("holder", 2)
	mail := smtptest.Start(t)
	proxy, url := pgproxy.For(t, w.databaseURL)
	worker := w.startWorker("worker", url, w.temporal,
		"CARDS_SMTP_URL=smtp://"+mail.Addr+"?tls=none", "CARDS_MAIL_FROM=cardflow <cards@example.com>")

	for i, cut := range []pgproxy.Cut{pgproxy.Close, pgproxy.Reset} {
		proxy.LoseAnswer("'sending')", 1, cut)
		p, id := w.request(w.temporal, holders[i], "standard")
		checkRuns(t, w.wait(60*time.Second, p))
		want := 2 * (i + 1)
		if !mail.Wait(30*time.Second, func() bool { return len(mail.Messages()) >= want }) {
			t.Fatalf("cut %d: %d e-mails within 30s, want %d (answers lost %d); worker log:\n%s", i, len(mail.Messages()), want, proxy.Cuts(), worker.Log.String())
		}
		testkit.Eventually(t, 10*time.Second, func() (bool, string) {
			rows, err := w.store.Notifications(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			sent := 0
			for _, r := range rows {
				if r.Status == store.NotificationSent {
					sent++
				}
			}
			return sent == 2 && len(rows) == 2, fmt.Sprintf("cut %d: card %s's e-mails %+v, want alice and bernard sent", i, id, rows)
		})
	}
	if proxy.Cuts() != 2 {
		t.Fatalf("%d answers lost, want 2", proxy.Cuts())
	}
	seen := map[string]int{}
	for _, m := range mail.Messages() {
		seen[m.Header.Get("Message-Id")]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s sent %d times", id, n)
		}
	}
	if len(seen) != 4 {
		t.Errorf("%d distinct e-mails, want 4", len(seen))
	}
}
