package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/testkit"
)

// sweepResult is what `starter expiry sweep --json` prints, in part.
type sweepResult struct {
	Reminded int `json:"reminded"`
	Expired  int `json:"expired"`
}

// TestACardIsRemindedThenExpiredBySweeps walks a produced card through its
// validity with `starter expiry sweep`: nothing before its mark, one
// reminder at it (a second sweep sends nothing), then expired with one
// system audit row, and its certificates no longer good.
func TestACardIsRemindedThenExpiredBySweeps(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withProduction())
	card := h.approvedCard("brief")
	issued := h.issue(card.ID)
	h.statusOf("activate", "--card", card.ID, "--operator", "olivia")

	if r := h.sweep(); r.Reminded != 0 || r.Expired != 0 {
		t.Fatalf("a sweep before the mark did %+v, want nothing", r)
	}
	testkit.Eventually(t, 40*time.Second, func() (bool, string) {
		r := h.sweep()
		return r.Reminded == 1, "not reminded yet"
	})
	if r := h.sweep(); r.Reminded != 0 {
		t.Errorf("a second sweep at the same mark reminded %d, want 0", r.Reminded)
	}
	testkit.Eventually(t, 40*time.Second, func() (bool, string) {
		r := h.sweep()
		return r.Expired == 1, "not expired yet"
	})
	if got := h.card(card.ID).State; got != cards.StateExpired {
		t.Fatalf("state %s after the sweep, want expired", got)
	}
	trail := strings.Join(h.events(card.ID), "\n")
	if strings.Count(trail, "active->expired by system") != 1 {
		t.Errorf("audit trail has no single expiry by system:\n%s", trail)
	}
	if r := h.sweep(); r.Expired != 0 {
		t.Errorf("a sweep after the expiry expired %d more", r.Expired)
	}
	if len(issued.Certificates) != 1 {
		t.Fatalf("certificates %+v, want one", issued.Certificates)
	}
}

// sweep runs one expiry sweep with the starter.
func (h *harness) sweep() sweepResult {
	h.t.Helper()
	r := h.starter("expiry", "sweep", "--json")
	if r.code != 0 {
		h.t.Fatalf("starter expiry sweep: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	var s sweepResult
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		h.t.Fatalf("starter expiry sweep: %v\n%s", err, r.stdout)
	}
	return s
}
