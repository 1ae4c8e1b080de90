package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/mailpit"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/workflows/lane"
)

// TestEachReactivationMailsTheHolder: a card deactivated and reactivated
// twice tells its holder twice, through a real Mailpit: one reactivated
// e-mail per reactivation, each recorded under the run that made it
// (reactivated:<run id>, the run that keys its audit row), none for the
// deactivations; `starter status` prints both as "reactivated".
func TestEachReactivationMailsTheHolder(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	mp := testkit.Mailpit(t)
	h.startMailWorker(mailConfig(mp.SMTPURL()))
	holder := h.user("active")
	address := holder + "@mail.example.com"
	card := h.activeCard("visitor", holder)
	againSubject := "Your visitor card " + card.CardNumber + " is active again"
	reactivated := func(msgs []mailpit.Message) int {
		n := 0
		for _, m := range msgs {
			if m.Subject == againSubject && m.Recipients() == address {
				n++
			}
		}
		return n
	}

	var runs []string
	for i := 1; i <= 2; i++ {
		if s := h.statusOf("deactivate", "--card", card.ID, "--operator", "olivia", "--comment", fmt.Sprintf("leave %d", i)); s.State != cards.StateInactive {
			t.Fatalf("deactivation %d: state %s", i, s.State)
		}
		if s := h.statusOf("reactivate", "--card", card.ID, "--operator", "olivia", "--comment", fmt.Sprintf("back %d", i)); s.State != cards.StateActive {
			t.Fatalf("reactivation %d: state %s", i, s.State)
		}
		desc, err := h.client.DescribeWorkflowExecution(context.Background(), lane.WorkflowID(card.ID), "")
		if err != nil {
			t.Fatal(err)
		}
		if typ := desc.GetWorkflowExecutionInfo().GetType().GetName(); typ != "ReactivateCard" {
			t.Fatalf("the card's latest run is %s, want ReactivateCard", typ)
		}
		runs = append(runs, desc.GetWorkflowExecutionInfo().GetExecution().GetRunId())
		// Each reactivation's e-mail arrives before the next one starts.
		mp.WaitFor(20*time.Second, fmt.Sprintf("reactivated e-mail %d", i), func(m []mailpit.Message) bool { return reactivated(m) >= i })
	}

	// Give a stray third copy the time to show, then count: issued,
	// activated and two reactivated e-mails, nothing for the deactivations.
	waitForMetrics(t, h.metricsURL, 10*time.Second, `cardflow_notifications_total{event="reactivated",outcome="sent"} 2`)
	msgs := mp.List()
	if n := reactivated(msgs); n != 2 {
		t.Fatalf("%d reactivated e-mails to %s, want 2", n, address)
	}
	if got := fmt.Sprint(mp.Count(nil)); got != "map["+address+":4]" {
		t.Fatalf("e-mails %s, want 4 to the holder (issued, activated, reactivated twice)", got)
	}
	var texts []string
	for _, m := range msgs {
		if m.Subject == againSubject {
			texts = append(texts, mp.PlainText(m.ID))
		}
	}
	joined := strings.Join(texts, "\n")
	for _, want := range []string{"Comment:        back 1", "Comment:        back 2"} {
		if !strings.Contains(joined, want) {
			t.Errorf("no reactivated e-mail says %q:\n%s", want, joined)
		}
	}

	rows := h.notificationRows(card.ID)
	for _, run := range runs {
		key := cards.OperationEvent(cards.NotifyReactivated, run) + "/" + holder
		if r, ok := rows[key]; !ok || r.Status != "sent" {
			t.Errorf("notifications row %s: %+v (found %v)", key, r, ok)
		}
	}
	if len(rows) != 4 || runs[0] == runs[1] {
		t.Errorf("notifications rows %v, runs %v: want issued, activated and one reactivated per run", keysOf(rows), runs)
	}

	r := h.starter("status", "--card", card.ID)
	if n := strings.Count(r.stdout, "e-mail:      reactivated to "+holder+" at "); n != 2 || strings.Contains(r.stdout, "reactivated:") {
		t.Errorf("starter status lists %d reactivated e-mails (want 2, without their runs):\n%s", n, r.stdout)
	}
	t.Logf("runs %v; Mailpit: %d messages; status:\n%s", runs, len(msgs), r.stdout)
}

// keysOf lists a map's keys, for messages.
func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
