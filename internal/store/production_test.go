package store_test

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/cardnumber"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

var issueFrom = []cards.State{cards.StateApproved, cards.StateRegistered}

// A card takes one number across retries of a run and across repeated
// productions; the generation moves once per run; each run has one audit
// row.
func TestBeginProductionTakesOneNumberAndBumpsOncePerRun(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	id := l.card("carol", "standard", cards.StateApproved)
	begin := store.BeginProduction{CardID: id, From: issueFrom, RunID: "run-1", Station: "station-1", Prefix: "C", Actor: "olivia", At: at}
	first, err := l.st.BeginProduction(ctx, begin)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := cardnumber.Format("C", 1, cardnumber.DefaultWidth); first.CardNumber != want || first.ProductionGeneration != 1 || first.Station != "station-1" || first.State != cards.StateApproved {
		t.Fatalf("first run: %+v", first)
	}
	for range 3 {
		again, err := l.st.BeginProduction(ctx, begin)
		if err != nil || again.CardNumber != first.CardNumber || again.ProductionGeneration != 1 {
			t.Fatalf("retried run: %+v, %v", again, err)
		}
	}
	// The run fails; Repeat production at another station.
	if _, _, err := l.st.Move(ctx, store.Move{CardID: id, From: issueFrom, To: cards.StateFailed, Event: "fail", Actor: "system",
		Comment: "card jam", At: at, Token: "fail/" + id + "/1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.st.BeginProduction(ctx, begin); err != nil {
		t.Fatalf("the first run's retry after its failure: %v", err)
	}
	repeat := begin
	repeat.RunID, repeat.Station, repeat.From = "run-2", "station-2", []cards.State{cards.StateFailed}
	second, err := l.st.BeginProduction(ctx, repeat)
	if err != nil || second.CardNumber != first.CardNumber || second.ProductionGeneration != 2 || second.Station != "station-2" {
		t.Fatalf("repeat production: %+v, %v", second, err)
	}
	var produced []string
	for _, e := range l.events(id) {
		if e.Transition == store.EventProduce {
			produced = append(produced, e.Comment)
			if e.FromState.String != e.ToState {
				t.Errorf("produce row moves %s → %s, want the state kept", e.FromState.String, e.ToState)
			}
		}
	}
	if len(produced) != 2 {
		t.Fatalf("produce rows %q, want one per run", produced)
	}
	if n := l.st.Count(t, `SELECT next FROM card_number_ranges WHERE prefix = 'C'`); n != 2 {
		t.Fatalf("range C next = %d, want 2: one number taken", n)
	}

	// Refusals: a state the operation does not allow, a cancelled
	// production, no such card, a bad prefix.
	var invalid *store.ErrInvalidState
	issued := l.card("dave", "standard", cards.StateIssued)
	if _, err := l.st.BeginProduction(ctx, store.BeginProduction{CardID: issued, From: issueFrom, RunID: "r", Prefix: "C", At: at}); !errors.As(err, &invalid) || invalid.State != cards.StateIssued {
		t.Fatalf("an issued card: %v", err)
	}
	if _, _, err := l.st.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateApproved}, To: cards.StateFailed, Event: "x", At: at, Token: "x"}); err == nil {
		t.Fatal("a failed card moved as if approved")
	}
	if _, _, err := l.st.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateApproved, cards.StateFailed}, To: cards.StateFailed,
		Event: "fail", At: at, Token: "fail/" + id + "/2"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.st.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateFailed}, To: cards.StateFailed,
		Event: "cancel-production", At: at, Token: "cancel/" + id, CancelProduction: true}); err != nil {
		t.Fatal(err)
	}
	repeat.RunID = "run-3"
	if _, err := l.st.BeginProduction(ctx, repeat); !errors.As(err, &invalid) || !invalid.CancelledProduction {
		t.Fatalf("a cancelled production repeated: %v", err)
	}
	if _, err := l.st.BeginProduction(ctx, store.BeginProduction{CardID: uuid.NewString(), From: issueFrom, RunID: "r", Prefix: "C", At: at}); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("no such card: %v", err)
	}
	if _, err := l.st.BeginProduction(ctx, store.BeginProduction{CardID: issued, From: issueFrom, RunID: "r", Prefix: "c1", At: at}); err == nil {
		t.Fatal("a bad prefix was accepted")
	}
}

// Forty productions at once, each retried once at once too: the numbers
// are contiguous from 1, one per card, each passing Luhn.
func TestConcurrentProductionsTakeContiguousNumbers(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	const n = 40
	ids := make([]string, n)
	for i := range ids {
		ids[i] = l.card("carol", "standard", cards.StateRegistered)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := ids[i%n]
			_, errs[i] = l.st.BeginProduction(ctx, store.BeginProduction{CardID: id, From: issueFrom, RunID: "run-" + id, Station: "station-1", Prefix: "SID", At: at})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("production %d: %v", i, err)
		}
	}
	var numbers []string
	if err := l.st.DB.Select(&numbers, `SELECT card_number FROM cards WHERE card_number IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	counters := make([]int, 0, len(numbers))
	for _, number := range numbers {
		if !cardnumber.Valid(number) {
			t.Errorf("%s fails the Luhn check", number)
		}
		counters = append(counters, counterOf(t, "SID", number))
	}
	sort.Ints(counters)
	if len(counters) != n {
		t.Fatalf("%d numbered cards, want %d", len(counters), n)
	}
	for i, c := range counters {
		if c != i+1 {
			t.Fatalf("counters %v are not 1..%d", counters, n)
		}
	}
	if g := l.st.Count(t, `SELECT count(*) FROM cards WHERE production_generation <> 1`); g != 0 {
		t.Fatalf("%d cards bumped twice by one run", g)
	}
}

// Certificates are recorded idempotently per generation; their status
// changes by serial; Certificates lists the current generation's.
func TestCertificatesFollowTheGeneration(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	id := l.card("carol", "standard", cards.StateApproved)
	if _, err := l.st.BeginProduction(ctx, store.BeginProduction{CardID: id, From: issueFrom, RunID: "run-1", Prefix: "C", At: at}); err != nil {
		t.Fatal(err)
	}
	rows := func(gen int, status ca.Status) []store.CertificateRow {
		return []store.CertificateRow{
			{Usage: ca.Signing, Serial: ca.SerialText(id, ca.Signing, gen), Status: status, NotAfter: at, PEM: "pem-s"},
			{Usage: ca.Authentication, Serial: ca.SerialText(id, ca.Authentication, gen), Status: status, NotAfter: at, PEM: "pem-a"},
		}
	}
	for range 2 {
		if err := l.st.RecordCertificates(ctx, id, 1, rows(1, ca.StatusHold)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := l.st.Certificates(ctx, id)
	if err != nil || len(got) != 2 || got[0].Usage != ca.Authentication || got[1].Usage != ca.Signing || got[0].Status != ca.StatusHold ||
		got[0].Generation != 1 || !got[0].NotAfter.Equal(at) || got[0].PEM != "pem-a" {
		t.Fatalf("certificates: %+v, %v", got, err)
	}
	if err := l.st.SetCertificateStatus(ctx, got[0].Serial, ca.StatusRevoked, string(ca.CessationOfOperation)); err != nil {
		t.Fatal(err)
	}
	if err := l.st.SetCertificateStatus(ctx, "123", ca.StatusGood, ""); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("unknown serial: %v", err)
	}
	// A second generation: only its certificates are the card's.
	if _, _, err := l.st.Move(ctx, store.Move{CardID: id, From: issueFrom, To: cards.StateFailed, Event: "fail", At: at, Token: "fail/1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.st.BeginProduction(ctx, store.BeginProduction{CardID: id, From: []cards.State{cards.StateFailed}, RunID: "run-2", Prefix: "C", At: at}); err != nil {
		t.Fatal(err)
	}
	if got, err := l.st.Certificates(ctx, id); err != nil || len(got) != 0 {
		t.Fatalf("a new generation's certificates before any: %+v, %v", got, err)
	}
	if err := l.st.RecordCertificates(ctx, id, 2, rows(2, ca.StatusHold)[:1]); err != nil {
		t.Fatal(err)
	}
	if got, err := l.st.Certificates(ctx, id); err != nil || len(got) != 1 || got[0].Generation != 2 || got[0].Serial != ca.SerialText(id, ca.Signing, 2) {
		t.Fatalf("second generation: %+v, %v", got, err)
	}
	if n := l.st.Count(t, `SELECT count(*) FROM card_certificates WHERE card_id = $1 AND status = 'revoked' AND reason = 'cessationOfOperation'`, id); n != 1 {
		t.Fatalf("%d revoked rows, want 1", n)
	}
}

// The worker's role, granted by schema/grants.sql and nothing more, runs
// every statement of the lifecycle: production, moves under the
// multipleActive rule, certificates.
func TestGrantedRoleRunsTheLifecycle(t *testing.T) {
	ctx := context.Background()
	l := newLifecycle(t)
	id := l.card("carol", "standard", cards.StateApproved)
	role, roleURL := testkit.Role(t, l.url)
	if err := schema.Grant(ctx, l.st.DB.DB, role); err != nil {
		t.Fatal(err)
	}
	app, err := store.Open(ctx, roleURL, store.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	c, err := app.BeginProduction(ctx, store.BeginProduction{CardID: id, From: issueFrom, RunID: "run-1", Station: "station-1", Prefix: "C", Actor: "olivia", At: at})
	if err != nil {
		t.Fatalf("as %s: begin production: %v", role, err)
	}
	if err := app.RecordCertificates(ctx, id, c.ProductionGeneration, []store.CertificateRow{{Usage: ca.Signing, Serial: "1", Status: ca.StatusHold, NotAfter: at}}); err != nil {
		t.Fatalf("as %s: record: %v", role, err)
	}
	if err := app.RecordCertificates(ctx, id, c.ProductionGeneration, []store.CertificateRow{{Usage: ca.Signing, Serial: "1", Status: ca.StatusHold, NotAfter: at}}); err != nil {
		t.Fatalf("as %s: record again (upsert): %v", role, err)
	}
	validUntil := at.Add(1000)
	if _, _, err := app.Move(ctx, store.Move{CardID: id, From: issueFrom, To: cards.StateIssued, Event: "issue", Actor: "olivia", At: at,
		Token: "issue/1", ValidUntil: &validUntil, ChipUID: "04", Station: "station-1",
		Notify: &store.OutboxEvent{Event: "issued", Input: []byte(`{}`)}}); err != nil {
		t.Fatalf("as %s: issue: %v", role, err)
	}
	if err := app.SetCertificateStatus(ctx, "1", ca.StatusGood, ""); err != nil {
		t.Fatalf("as %s: status: %v", role, err)
	}
	if _, _, err := app.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateIssued}, To: cards.StateActive, Event: "activate",
		Actor: "olivia", At: at, Token: "activate/1", NoOtherActive: true, Notify: &store.OutboxEvent{Event: "activated", Input: []byte(`{}`)}}); err != nil {
		t.Fatalf("as %s: activate: %v", role, err)
	}
	if _, _, err := app.Move(ctx, store.Move{CardID: id, From: []cards.State{cards.StateActive}, To: cards.StateInactive, Event: "deactivate",
		At: at, Token: "deactivate/1", CancelProduction: false}); err != nil {
		t.Fatalf("as %s: deactivate: %v", role, err)
	}
	if _, err := app.Certificates(ctx, id); err != nil {
		t.Fatalf("as %s: certificates: %v", role, err)
	}
}
