package faults

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/startercmd"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// world is one scenario's cardflow: its own database, policy and task queue.
type world struct {
	t *testing.T
	// temporal is the shared dev server's address (testkit.DevServer).
	temporal    string
	databaseURL string
	policyPath  string
	taskQueue   string
	store       *store.Store
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{
		t:          t,
		temporal:   testkit.DevServer(t),
		policyPath: testkit.PolicyFile(t),
		taskQueue:  testkit.TaskQueue(t),
	}
	// The requester holds the operator role, the approver the approver role.
	w.store, w.databaseURL = testkit.Store(t,
		cards.User{ID: "olivia", GivenName: "Olivia", Surname: "Operator", UPN: "olivia@example.com", State: "active", Roles: []string{"operator"}},
		cards.User{ID: "alice", GivenName: "Alice", Surname: "Archer", UPN: "alice@example.com", State: "active", Roles: []string{"approver"}})
	return w
}

func (w *world) users(users ...cards.User) {
	w.t.Helper()
	for _, u := range users {
		if err := w.store.UpsertUserWithRoles(context.Background(), u); err != nil {
			w.t.Fatal(err)
		}
	}
}

// cardholders adds n active users named prefix-1 ... prefix-n.
func (w *world) cardholders(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i+1)
		w.users(cards.User{ID: ids[i], GivenName: "Holder", Surname: ids[i], UPN: ids[i] + "@example.com", State: "active"})
	}
	return ids
}

// run is one starter command's outcome.
type run struct {
	args   []string
	code   int
	stdout string
	stderr *testkit.Buffer
	took   time.Duration
}

// starter runs the real starter code in the background against temporal,
// answering in JSON.
func (w *world) starter(temporal string, args ...string) *pending {
	return w.runStarter(temporal, true, args)
}

// runStarter runs the real starter code in the background against
// temporal, with --json when jsonOut (else as a person at a terminal sees
// it, progress lines included).
func (w *world) runStarter(temporal string, jsonOut bool, args []string) *pending {
	common := []string{"--temporal-address", temporal, "--task-queue", w.taskQueue, "--database-url", w.databaseURL,
		"--timeout", "100s", "--temporal-wait", "60s", "--codec-keys", "none"}
	if jsonOut {
		common = append(common, "--json")
	}
	full := append(common, args...)
	p := &pending{done: make(chan struct{}), run: run{args: args, stderr: &testkit.Buffer{}}}
	go func() {
		defer close(p.done)
		start := time.Now()
		var stdout bytes.Buffer
		p.run.code = startercmd.Run(context.Background(), full, &stdout, p.run.stderr)
		p.run.stdout, p.run.took = stdout.String(), time.Since(start)
	}()
	return p
}

// pending is a starter command still running.
type pending struct {
	done chan struct{}
	run  run
}

// request starts `starter request` for user with a fixed request id, so
// that the command could be sent again safely; flags go before the command.
func (w *world) request(temporal, user, cardType string, flags ...string) (*pending, string) {
	id := uuid.NewString()
	args := append(flags, "request", "--user", user, "--card-type", cardType, "--operator", "olivia", "--request-id", id)
	return w.starter(temporal, args...), id
}

// wait waits for every command, within a deadline, and returns their runs.
func (w *world) wait(within time.Duration, all ...*pending) []run {
	w.t.Helper()
	deadline := time.After(within)
	runs := make([]run, 0, len(all))
	for _, p := range all {
		select {
		case <-p.done:
			runs = append(runs, p.run)
		case <-deadline:
			w.t.Fatalf("starter %v did not finish within %s; stderr so far:\n%s", p.run.args, within, p.run.stderr.String())
		}
	}
	return runs
}

// waitCards waits until at least n cards are stored.
func (w *world) waitCards(n int, within time.Duration) {
	w.t.Helper()
	testkit.Eventually(w.t, within, func() (bool, string) {
		c := w.counts()
		return c.Persisted >= n, fmt.Sprintf("fewer than %d cards stored: %+v", n, c)
	})
}

// counts is what PostgreSQL holds after a scenario.
type counts struct {
	Persisted int // cards
	Approved  int // cards in state approved
	Requested int // cards in state requested
	// Doubled counts users with more than one card of a type, cards with
	// two audit events for the same state change, and votes written twice
	// (an approver's approve or reject twice in one approval, that is one
	// workflow run, the first part of the vote's write token; a
	// postponement twice at the same instant).
	Doubled int
	Events  int // audit rows: Changes + Votes
	Changes int // audit rows of state changes
	Votes   int // audit rows of votes (store.VoteRow): approve, reject, postpone
}

func (w *world) counts() counts {
	w.t.Helper()
	var c counts
	q := func(dst *int, sql string) {
		if err := w.store.DB.GetContext(context.Background(), dst, sql); err != nil {
			w.t.Fatalf("%s: %v", sql, err)
		}
	}
	q(&c.Persisted, `SELECT count(*) FROM cards`)
	q(&c.Approved, `SELECT count(*) FROM cards WHERE state = 'approved'`)
	q(&c.Requested, `SELECT count(*) FROM cards WHERE state = 'requested'`)
	q(&c.Events, `SELECT count(*) FROM card_events`)
	q(&c.Votes, `SELECT count(*) FROM card_events WHERE `+store.VoteRow)
	c.Changes = c.Events - c.Votes
	var doubledCards, doubledChanges, doubledVotes int
	q(&doubledCards, `SELECT count(*) FROM (SELECT user_id, card_type FROM cards GROUP BY 1, 2 HAVING count(*) > 1) d`)
	q(&doubledChanges, `SELECT count(*) FROM (SELECT card_id, to_state FROM card_events WHERE NOT `+store.VoteRow+` GROUP BY 1, 2 HAVING count(*) > 1) d`)
	q(&doubledVotes, `SELECT count(*) FROM (SELECT card_id, split_part(write_token, '/', 1), event, actor, CASE WHEN event = 'postpone' THEN at END
		FROM card_events WHERE `+store.VoteRow+` GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1) d`)
	c.Doubled = doubledCards + doubledChanges + doubledVotes
	return c
}

// checkRuns fails the test for every command that did not exit 0 and
// returns how many were refused (exit 3).
func checkRuns(t *testing.T, runs []run) (refused int) {
	t.Helper()
	for _, r := range runs {
		if r.code == startercmd.ExitRefused {
			refused++
		}
		if r.code != 0 {
			t.Errorf("starter %v: exit %d after %s\nstdout: %s\nstderr: %s", r.args, r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr.String())
		}
	}
	return refused
}

// anyStderr returns the first stderr among runs that contains want.
func anyStderr(runs []run, want string) string {
	for _, r := range runs {
		if s := r.stderr.String(); bytes.Contains([]byte(s), []byte(want)) {
			return s
		}
	}
	return ""
}

// burst starts one request per user, all at once.
func (w *world) burst(temporal, cardType string, users []string) []*pending {
	all := make([]*pending, 0, len(users))
	for _, u := range users {
		p, _ := w.request(temporal, u, cardType)
		all = append(all, p)
	}
	return all
}

// logSlow logs the commands that took longer than limit, with what they
// printed while they waited: the figures the closing note needs.
func logSlow(t *testing.T, runs []run, limit time.Duration) {
	t.Helper()
	for _, r := range runs {
		if r.took > limit {
			t.Logf("slow: starter %v took %s:\n%s", r.args, r.took.Round(time.Millisecond), r.stderr.String())
		}
	}
}

// waitApproved waits until the card is stored as approved.
func (w *world) waitApproved(cardID string, within time.Duration) {
	w.t.Helper()
	testkit.Eventually(w.t, within, func() (bool, string) {
		var state string
		if err := w.store.DB.GetContext(context.Background(), &state, `SELECT state FROM cards WHERE id = $1`, cardID); err != nil {
			w.t.Fatal(err)
		}
		return state == string(cards.StateApproved), fmt.Sprintf("card %s is %s, not approved", cardID, state)
	})
}
