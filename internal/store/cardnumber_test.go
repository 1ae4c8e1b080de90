package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

// newCardsForNumbers opens a store with room for concurrent statements and
// inserts n approved cards of one user, returning their ids and the
// database's URL.
func newCardsForNumbers(t *testing.T, n int) (*store.Store, []string, string) {
	t.Helper()
	ctx := context.Background()
	dbURL := testkit.Database(t)
	st, err := store.Open(ctx, dbURL, store.PoolOptions{MaxOpen: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO users (id, state) VALUES ('u1', 'active')`); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
		if _, err := st.DB.ExecContext(ctx, `INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id)
			VALUES ($1, 'u1', 'standard', 'Carol Cole', 'carol@example.test', 'approved', 'u1', $2)`, ids[i], "card-"+ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	return st, ids, dbURL
}

// counterOf is the number's counter value (its digits without prefix and
// check digit).
func counterOf(t *testing.T, prefix, number string) int {
	t.Helper()
	n, err := strconv.Atoi(number[len(prefix) : len(number)-1])
	if err != nil {
		t.Fatalf("%s: %v", number, err)
	}
	return n
}

// The database's numbers are the ones cardnumber.Format composes: the
// PL/pgSQL Luhn and the Go one agree.
func TestAllocatedNumbersAreTheFormattedOnes(t *testing.T) {
	ctx := context.Background()
	st, ids, _ := newCardsForNumbers(t, 12)
	for i, id := range ids {
		got, err := st.AssignCardNumber(ctx, id, "C")
		if err != nil {
			t.Fatal(err)
		}
		want, _ := cardnumber.Format("C", uint64(i+1), cardnumber.DefaultWidth)
		if got != want || !cardnumber.Valid(got) {
			t.Errorf("card %d got %s, want %s (valid: %v)", i, got, want, cardnumber.Valid(got))
		}
	}
	// Another prefix has a range of its own, starting at 1.
	var other string
	if err := st.DB.GetContext(ctx, &other, `SELECT next_card_number('XY', 4)`); err != nil {
		t.Fatal(err)
	}
	if want, _ := cardnumber.Format("XY", 1, 4); other != want {
		t.Errorf("first XY number %s, want %s", other, want)
	}
	// And the SQL Luhn agrees with Go's on many counters.
	for n := 0; n < 3000; n += 7 {
		digits := fmt.Sprintf("%09d", n)
		var check string
		if err := st.DB.GetContext(ctx, &check, `SELECT card_number_luhn($1)`, digits); err != nil {
			t.Fatal(err)
		}
		if check[0] != cardnumber.Luhn(digits) {
			t.Fatalf("card_number_luhn(%s) = %s, Go says %c", digits, check, cardnumber.Luhn(digits))
		}
	}
}

// A second assignment, after the first or waiting for it, keeps the
// card's number and takes none from the range.
func TestAssignmentKeepsTheCardsNumber(t *testing.T) {
	ctx := context.Background()
	st, ids, _ := newCardsForNumbers(t, 2)
	first, err := st.AssignCardNumber(ctx, ids[0], "C")
	if err != nil {
		t.Fatal(err)
	}
	again, err := st.AssignCardNumber(ctx, ids[0], "C")
	if err != nil || again != first {
		t.Fatalf("second assignment gave %q, %v; want %s", again, err, first)
	}
	// A second assignment of the second card waits while the first holds
	// the card; once the first commits, it must return that number.
	tx, err := st.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	held, err := store.AssignCardNumber(ctx, tx, ids[1], "C")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		number string
		err    error
	}
	waiter := make(chan result, 1)
	go func() {
		number, err := st.AssignCardNumber(ctx, ids[1], "C")
		waiter <- result{number, err}
	}()
	waitForALockWait(t, st)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	second := <-waiter
	if second.err != nil || second.number != held {
		t.Fatalf("the waiting assignment gave %q, %v; want %s", second.number, second.err, held)
	}
	if n := counterOf(t, "C", held); n != 2 {
		t.Errorf("the second card has counter %d, want 2", n)
	}
	var next int
	if err := st.DB.GetContext(ctx, &next, `SELECT next FROM card_number_ranges WHERE prefix = 'C'`); err != nil || next != 3 {
		t.Errorf("range C next = %d, %v; want 3", next, err)
	}
	if _, err := st.AssignCardNumber(ctx, uuid.NewString(), "C"); !errors.Is(err, store.ErrNoRows) {
		t.Errorf("no such card: %v, want store.ErrNoRows", err)
	}
	if _, err := st.AssignCardNumber(ctx, ids[0], "c1"); err == nil {
		t.Error("a bad prefix was accepted")
	}
}

// Fifty concurrent allocations, every fifth rolled back: the committed
// numbers are contiguous from 1 (a rolled-back number is taken again, no
// gap), each on one card, each passing Luhn; the rolled-back cards get the
// numbers that follow.
func TestConcurrentAllocationsWithRollbacksAreGapless(t *testing.T) {
	ctx := context.Background()
	const n = 50
	st, ids, _ := newCardsForNumbers(t, n)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := st.DB.BeginTxx(ctx, nil)
			if err != nil {
				errs[i] = err
				return
			}
			if _, err := store.AssignCardNumber(ctx, tx, id, "C"); err != nil {
				_ = tx.Rollback()
				errs[i] = err
				return
			}
			if i%5 == 0 {
				errs[i] = tx.Rollback()
				return
			}
			errs[i] = tx.Commit()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
	}
	numbers := func() map[string]string {
		var rows []struct {
			ID     string `db:"id"`
			Number string `db:"card_number"`
		}
		if err := st.DB.SelectContext(ctx, &rows, `SELECT id, card_number FROM cards WHERE card_number IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		byNumber := map[string]string{}
		for _, r := range rows {
			if other, twice := byNumber[r.Number]; twice {
				t.Fatalf("%s is on cards %s and %s", r.Number, other, r.ID)
			}
			byNumber[r.Number] = r.ID
		}
		return byNumber
	}
	contiguous := func(byNumber map[string]string, want int) {
		t.Helper()
		var counters []int
		for number := range byNumber {
			if !cardnumber.Valid(number) {
				t.Errorf("%s fails the Luhn check", number)
			}
			counters = append(counters, counterOf(t, "C", number))
		}
		sort.Ints(counters)
		if len(counters) != want {
			t.Fatalf("%d cards have numbers, want %d", len(counters), want)
		}
		for i, c := range counters {
			if c != i+1 {
				t.Fatalf("counters %v are not 1..%d", counters, want)
			}
		}
	}
	contiguous(numbers(), n-n/5)
	for i, id := range ids {
		if i%5 == 0 {
			if _, err := st.AssignCardNumber(ctx, id, "C"); err != nil {
				t.Fatal(err)
			}
		}
	}
	contiguous(numbers(), n)
}

// waitForALockWait waits until some statement in the test's database waits
// for a lock, or fails the test after a deadline.
func waitForALockWait(t *testing.T, st *store.Store) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() (bool, string) {
		var waiting int
		if err := st.DB.Get(&waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`); err != nil {
			return false, err.Error()
		}
		return waiting > 0, fmt.Sprintf("%d statements waiting for a lock", waiting)
	})
}

// The worker's role, granted by schema/grants.sql and nothing more, can
// assign numbers (the card row lock, the counter row's insert and update).
func TestGrantedRoleAssignsCardNumbers(t *testing.T) {
	ctx := context.Background()
	owner, ids, ownerURL := newCardsForNumbers(t, 2)
	role, roleURL := testkit.Role(t, ownerURL)
	if err := schema.Grant(ctx, owner.DB.DB, role); err != nil {
		t.Fatal(err)
	}
	app, err := store.Open(ctx, roleURL, store.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for i, id := range ids {
		got, err := app.AssignCardNumber(ctx, id, "C")
		if err != nil {
			t.Fatalf("as %s: %v", role, err)
		}
		if want, _ := cardnumber.Format("C", uint64(i+1), cardnumber.DefaultWidth); got != want {
			t.Errorf("as %s: %s, want %s", role, got, want)
		}
	}
}
