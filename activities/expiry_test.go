package activities_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/store"
)

const expiryPolicy = `
useCases: {requestCard: true}
cardTypes:
  standard:
    validity: 60s
    expiry: {remindBefore: [40s, 20s]}
`

// One page reminds the card at its 40 s mark (outbox expiring-40s) and
// expires the card past its end (audit row, outbox expired), and names the
// expired card's certificate that outlives it; RevokeExpiredCertificates
// revokes it at the CA and records it. The page again does nothing.
func TestSweepExpiryPageRemindsExpiresAndNamesCertificatesToRevoke(t *testing.T) {
	w, fca := lifecycleWorld(t, expiryPolicy)
	now := time.Now().UTC()
	card := func(validUntil time.Time) string {
		id := uuid.NewString()
		if _, err := w.store.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id, valid_until)
			VALUES ($1, 'ada', 'standard', 'Lovelace, Ada', 'ada@example.com', 'active', 'olivia', 'w', $2)`, id, validUntil); err != nil {
			t.Fatal(err)
		}
		return id
	}
	remind, gone := card(now.Add(30*time.Second)), card(now.Add(-time.Second))
	serial := ca.SerialText(gone, ca.Authentication, 0)
	fca.status[serial] = ca.StatusGood
	if _, err := w.store.DB.Exec(`INSERT INTO card_certificates (card_id, usage, generation, serial, status, not_after) VALUES ($1, 'authentication', 0, $2, 'good', $3)`,
		gone, serial, now.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	page := func() activities.SweepExpiryPageResult {
		t.Helper()
		v, err := w.env.ExecuteActivity(w.acts.SweepExpiryPage, activities.SweepExpiryPageInput{PageSize: 10, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		var res activities.SweepExpiryPageResult
		if err := v.Get(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := page()
	if !res.Done || res.Visited != 2 || res.Totals["standard"].Reminded["40s"] != 1 || res.Totals["standard"].Expired != 1 {
		t.Fatalf("first page: %+v", res)
	}
	if !slices.Equal(res.Revoke, []string{serial}) {
		t.Fatalf("to revoke %v, want %s", res.Revoke, serial)
	}
	var events []string
	if err := w.store.DB.Select(&events, `SELECT card_id::text || ' ' || event FROM notification_outbox ORDER BY event`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(events, []string{gone + " expired", remind + " expiring-40s"}) {
		t.Fatalf("outbox %v", events)
	}
	if _, err := w.env.ExecuteActivity(w.acts.RevokeExpiredCertificates, activities.RevokeExpiredCertificatesInput{Serials: res.Revoke}); err != nil {
		t.Fatal(err)
	}
	if fca.statusOf(serial) != ca.StatusRevoked {
		t.Fatalf("CA status %s", fca.statusOf(serial))
	}
	var status, reason string
	if err := w.store.DB.QueryRow(`SELECT status, reason FROM card_certificates WHERE serial = $1`, serial).Scan(&status, &reason); err != nil || status != "revoked" || reason != "cessationOfOperation" {
		t.Fatalf("recorded %s %s, %v", status, reason, err)
	}

	again := page()
	if again.Visited != 1 || len(again.Totals["standard"].Reminded) != 0 || again.Totals["standard"].Expired != 0 || len(again.Revoke) != 0 {
		t.Fatalf("the page again: %+v", again)
	}
	var audit int
	if err := w.store.DB.Get(&audit, `SELECT count(*) FROM card_events WHERE card_id = $1 AND event = $2 AND actor = $3`, gone, store.EventExpire, store.ActorSystem); err != nil || audit != 1 {
		t.Fatalf("%d expire audit rows, %v", audit, err)
	}
}
