package integration

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/testkit"
)

// Reminders go out once per card and mark, only for the marks ahead at
// issue, and cards past valid_until become expired with one audit row and
// the holder's e-mail; a second sweep does nothing.
func TestSweepRemindsOncePerMarkAndExpires(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.worker()
	h := w.holders("rem", 7)
	now := time.Now()
	long := now.Add(-time.Hour)                                                               // issued long before any mark
	at40 := w.card(h[0], "quick", "active", now.Add(30*time.Second), long)                    // 40 s mark reached
	at20 := w.card(h[1], "quick", "issued", now.Add(8*time.Second), long)                     // 40 s and 20 s reached: 20 s
	gone := w.card(h[2], "quick", "inactive", now.Add(-time.Second), long)                    // past: expires
	late := w.card(h[3], "quick", "active", now.Add(30*time.Second), now.Add(-5*time.Second)) // 40 s mark passed at issue
	far := w.card(h[4], "standard", "active", now.Add(100*24*time.Hour), long)                // beyond every mark
	locked := w.card(h[5], "quick", "locked", now.Add(-time.Second), long)                    // final: untouched
	soon := w.card(h[6], "standard", "active", now.Add(59*24*time.Hour), time.Time{})         // 1440h reached, no issue row

	first := w.sweep()
	t.Logf("first sweep: %+v", first)
	if first.Reminded != 3 || first.Expired != 1 {
		t.Fatalf("first sweep reminded %d, expired %d; want 3 and 1: %+v", first.Reminded, first.Expired, first)
	}
	if q := first.CardTypes["quick"]; q.Reminded["40s"] != 1 || q.Reminded["20s"] != 1 || q.Expired != 1 {
		t.Fatalf("quick: %+v", q)
	}
	if s := first.CardTypes["standard"]; s.Reminded["1440h"] != 1 || s.Expired != 0 {
		t.Fatalf("standard: %+v", s)
	}
	if first.Visited != 5 {
		t.Fatalf("visited %d cards, want 5 (neither the one 100 days away nor the locked one)", first.Visited)
	}

	// A second sweep records nothing the first did. What it may record
	// is what time brought since: it is judged at its own Now, since on a
	// loaded machine it can start seconds after the first (a CI run saw
	// 20 s, past at40's and late's 20 s marks and at20's end).
	second := w.sweep()
	elapsed := second.Now.Sub(now)
	wantReminded, wantExpired := 0, 0
	if elapsed >= 10*time.Second { // at40's and late's 20 s marks
		wantReminded = 2
	}
	if elapsed >= 8*time.Second { // at20's end
		wantExpired = 1
	}
	if elapsed >= 30*time.Second-time.Second {
		t.Fatalf("the second sweep started %s after the cards were written: at40 and late are ending, too late to tell a repeat from their end: %+v", elapsed, second)
	}
	if second.Reminded != wantReminded || second.Expired != wantExpired || second.CardTypes["quick"].Reminded["40s"] != 0 || second.CardTypes["standard"].Reminded["1440h"] != 0 {
		t.Fatalf("second sweep, %s after the cards were written: reminded %d, expired %d; want %d and %d, and no mark of the first sweep again: %+v",
			elapsed.Round(time.Millisecond), second.Reminded, second.Expired, wantReminded, wantExpired, second)
	}

	// Time passes: at40 reaches its 20 s mark, late its first, at20 its end.
	testkit.Eventually(t, 40*time.Second, func() (bool, string) {
		w.sweep()
		n := w.count(`SELECT count(*) FROM card_reminders WHERE card_id IN ($1, $2) AND mark = '20s'`, at40, late)
		st := w.count(`SELECT count(*) FROM cards WHERE id = $1 AND state = 'expired'`, at20)
		return n == 2 && st == 1, "waiting for the 20 s marks of two cards and the end of a third"
	})

	for card, want := range map[string]string{at40: "20s,40s", at20: "20s", late: "20s", gone: "", far: "", locked: "", soon: "1440h"} {
		var marks []string
		if err := w.st.DB.Select(&marks, `SELECT mark FROM card_reminders WHERE card_id = $1 ORDER BY mark`, card); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(marks, ","); got != want {
			t.Errorf("card %s reminders %q, want %q", card, got, want)
		}
	}
	for card, want := range map[string]int{gone: 1, at20: 1, locked: 0, at40: 0} {
		if n := w.count(`SELECT count(*) FROM card_events WHERE card_id = $1 AND event = 'expire' AND actor = 'system' AND to_state = 'expired'`, card); n != want {
			t.Errorf("card %s has %d expire audit rows, want %d", card, n, want)
		}
	}
	if st := w.count(`SELECT count(*) FROM cards WHERE id = $1 AND state = 'locked'`, locked); st != 1 {
		t.Error("a locked card was touched")
	}
	reminders := w.count(`SELECT count(*) FROM card_reminders`)
	expired := w.count(`SELECT count(*) FROM card_events WHERE event = 'expire'`)
	w.mail.WaitFor(30*time.Second, "every reminder and expiry e-mail", func([]mailpitMessage) bool {
		return w.mails("expires on") == reminders && w.mails("has expired") == expired
	})
	t.Logf("reminders %d, expired %d, Mailpit: %d reminder and %d expiry e-mails", reminders, expired, w.mails("expires on"), w.mails("has expired"))
	if n := w.count(`SELECT count(*) FROM notifications WHERE event LIKE 'expiring-%' AND status = 'sent'`); n != reminders {
		t.Errorf("%d reminder e-mails sent, want %d", n, reminders)
	}
}

// Two sweeps at once over the same cards (pages of 20) send nothing twice
// and expire nothing twice: their results add up to the cards.
func TestTwoSweepsAtOnceDoNothingTwice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.worker()
	now := time.Now()
	long := now.Add(-time.Hour)
	const n = 100
	for i, u := range w.holders("race", 2*n) {
		if i < n {
			w.card(u, "quick", "active", now.Add(30*time.Second), long) // reminder 40s
		} else {
			w.card(u, "quick", "active", now.Add(-time.Minute), long) // expires
		}
	}
	var wg sync.WaitGroup
	docs := make([]sweepDoc, 2)
	for i := range docs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			docs[i] = w.sweep("--page-size", "20")
		}()
	}
	wg.Wait()
	t.Logf("two sweeps at once: %+v / %+v", docs[0], docs[1])
	if r := docs[0].Reminded + docs[1].Reminded; r != n {
		t.Errorf("the sweeps reminded %d in all, want %d", r, n)
	}
	if e := docs[0].Expired + docs[1].Expired; e != n {
		t.Errorf("the sweeps expired %d in all, want %d", e, n)
	}
	if c := w.count(`SELECT count(*) FROM card_reminders`); c != n {
		t.Errorf("%d reminders recorded, want %d", c, n)
	}
	if c := w.count(`SELECT count(*) FROM card_events WHERE event = 'expire'`); c != n {
		t.Errorf("%d expire audit rows, want %d", c, n)
	}
	w.mail.WaitFor(60*time.Second, "every e-mail", func([]mailpitMessage) bool {
		return w.mails("expires on") == n && w.mails("has expired") == n
	})
	if c := w.count(`SELECT count(*) FROM notifications WHERE event LIKE 'expiring-%' OR event = 'expired'`); c != 2*n {
		t.Errorf("%d notifications, want %d", c, 2*n)
	}
}
