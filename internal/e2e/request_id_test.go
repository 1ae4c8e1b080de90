package e2e

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/workflows/requestcard"
)

// A --request-id names one card: reusing it for another user or another
// card type is refused with RequestIdConflict naming the card that holds
// it, while the card is open, once it is final, and when its request was
// refused; the same user and card type still attach.
func TestRequestIDOfAnotherUsersCardIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	alan, bea := h.user("active"), h.user("active")
	id := uuid.NewString()
	first := h.request(alan, "", "--request-id", id)
	if first.State != cards.StateRequested {
		t.Fatalf("first request: %+v", first)
	}
	conflict := func(when string, args ...string) {
		t.Helper()
		msg := h.refusal(3, cards.ErrRequestIDConflict, append([]string{"request", "--operator", "olivia", "--request-id", id}, args...)...)
		if !strings.Contains(msg, "card "+id) || !strings.Contains(msg, "user "+alan) {
			t.Fatalf("%s: message %q does not name card %s of %s", when, msg, id, alan)
		}
	}
	conflict("another user", "--user", bea)
	conflict("another card type", "--user", alan, "--card-type", "visitor")
	// The same user and type, named or by default, attach to the first.
	for _, extra := range [][]string{nil, {"--card-type", "standard"}} {
		if again := h.request(alan, "", append([]string{"--request-id", id}, extra...)...); again.ID != id || again.State != cards.StateRequested {
			t.Fatalf("same user, %v: %+v", extra, again)
		}
	}
	h.statusOf("approve", "--request", id, "--approver", "alice")
	if err := h.wait(id); err != nil {
		t.Fatal(err)
	}
	conflict("after the card is final", "--user", bea)
	if n := h.countCards(bea); n != 0 {
		t.Fatalf("%s got %d cards", bea, n)
	}

	// A request refused before any card existed holds its id too.
	refusedID := uuid.NewString()
	h.refusal(3, cards.ErrUserNotFound, "request", "--user", "ghost", "--operator", "olivia", "--request-id", refusedID)
	h.workflowIDs = append(h.workflowIDs, requestcard.WorkflowID(refusedID))
	msg := h.refusal(3, cards.ErrRequestIDConflict, "request", "--user", alan, "--operator", "olivia", "--request-id", refusedID)
	if !strings.Contains(msg, "user ghost") {
		t.Fatalf("message %q does not name the refused request's user", msg)
	}
	// ...and the refused user asking again gets the refusal, not a conflict.
	h.refusal(3, cards.ErrUserNotFound, "request", "--user", "ghost", "--operator", "olivia", "--request-id", refusedID)
}

// A user id longer than Temporal allows a search attribute is refused by
// the starter's limits, never by Temporal's error.
func TestOversizedUserIDIsBadUsage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	msg := h.refusal(2, "BadUsage", "request", "--user", strings.Repeat("x", 10000), "--operator", "olivia")
	if !strings.HasPrefix(msg, "--user: at most 128 characters") {
		t.Fatalf("message %q", msg)
	}
}
