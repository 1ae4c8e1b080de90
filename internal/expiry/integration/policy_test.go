package integration

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// A policy change (new marks) applies to the next sweep once the worker is
// restarted: the sweep reads the policy the worker loaded.
func TestAPolicyChangeAppliesToTheNextSweep(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	running := w.worker()
	h := w.holders("pol", 1)
	card := w.card(h[0], "quick", "active", time.Now().Add(45*time.Second), time.Now().Add(-time.Hour))
	if d := w.sweep(); d.Reminded != 0 {
		t.Fatalf("before the change: reminded %d, want 0 (45 s left, first mark 40 s)", d.Reminded)
	}
	changed := strings.Replace(policy, "remindBefore: [40s, 20s]", "remindBefore: [50s, 20s]", 1)
	if err := os.WriteFile(w.policyPath, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	running.Stop()
	w.worker()
	d := w.sweep()
	if d.CardTypes["quick"].Reminded["50s"] != 1 {
		t.Fatalf("after the change: %+v, want one 50s reminder", d)
	}
	var marks []string
	if err := w.st.DB.Select(&marks, `SELECT mark FROM card_reminders WHERE card_id = $1`, card); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(marks, []string{"50s"}) {
		t.Fatalf("reminders %v", marks)
	}
}

// Certificates that would outlive their expired card (a validity shorter
// than the CA's profile) are the ones the sweep revokes; one that ends
// with the card, or is revoked already, is left to its notAfter.
func TestCertificatesOutlivingTheirCard(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h := w.holders("cert", 1)
	end := time.Now().Add(-time.Minute)
	card := w.card(h[0], "quick", "active", end, time.Time{})
	for _, c := range []struct {
		usage, serial, status string
		notAfter              time.Time
	}{
		{"authentication", "s-outlives", "good", end.Add(24 * time.Hour)},
		{"signing", "s-ends-with-it", "good", end},
		{"encryption", "s-revoked", "revoked", end.Add(24 * time.Hour)},
	} {
		if _, err := w.st.DB.Exec(`INSERT INTO card_certificates (card_id, usage, generation, serial, status, not_after) VALUES ($1, $2, 0, $3, $4, $5)`,
			card, c.usage, c.serial, c.status, c.notAfter); err != nil {
			t.Fatal(err)
		}
	}
	serials, err := w.st.CertificatesOutlivingCards(context.Background(), []string{card})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(serials, []string{"s-outlives"}) {
		t.Fatalf("serials %v, want [s-outlives]", serials)
	}
}
