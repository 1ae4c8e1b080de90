package startercmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/cards"
)

// The decision line ends with the comment, and without one with no
// dangling colon.
func TestDecisionLineWithoutCommentHasNoColon(t *testing.T) {
	at := time.Date(2026, 11, 30, 16, 16, 9, 0, time.UTC)
	for comment, want := range map[string]string{
		"":          "  decision:    approved by alice at 2026-11-30T16:16:09Z\n",
		"holder ok": "  decision:    approved by alice at 2026-11-30T16:16:09Z: holder ok\n",
	} {
		var buf bytes.Buffer
		(&output{stdout: &buf}).status(cards.Status{ID: "c1", State: cards.StateApproved,
			Decision: &cards.Decision{To: cards.StateApproved, Actor: "alice", Comment: comment, At: at}}, "")
		if !strings.Contains(buf.String(), want) {
			t.Errorf("comment %q: want the line %q in\n%s", comment, want, buf.String())
		}
	}
}

// An operation whose step is retried shows what it waits for: once when
// the document's waiting is the operation's, and with the operation named
// when the request waits for something else too.
func TestStatusShowsTheOperationsWaitingLine(t *testing.T) {
	const revoke = "Revoke certificates, attempt 5 failed: dial tcp 127.0.0.1:8888: connect: connection refused; retrying in 16s"
	op := &cards.Operation{Type: "LockCard", Step: "revoking the certificates", Waiting: revoke}
	var buf bytes.Buffer
	(&output{stdout: &buf}).status(cards.Status{ID: "c1", State: cards.StateActive, Operation: op, Waiting: revoke}, "")
	if got := buf.String(); strings.Count(got, "waiting:") != 1 || !strings.Contains(got, "  operation:   LockCard: revoking the certificates\n") ||
		!strings.Contains(got, "  waiting:     "+revoke+"\n") {
		t.Errorf("status text:\n%s", got)
	}
	buf.Reset()
	(&output{stdout: &buf}).status(cards.Status{ID: "c1", State: cards.StateActive, Operation: op, Waiting: "PostgreSQL unreachable"}, "")
	if got := buf.String(); !strings.Contains(got, "  waiting:     PostgreSQL unreachable\n") || !strings.Contains(got, "  waiting:     "+revoke+" (LockCard)\n") {
		t.Errorf("status text with both waiting:\n%s", got)
	}
	if requestWaits(cards.Status{Operation: op, Waiting: revoke}) {
		t.Error("the operation's waiting is taken for the request's: the e-mails would not be listed")
	}
	if !requestWaits(cards.Status{Operation: op, Waiting: "PostgreSQL unreachable"}) {
		t.Error("the request's own waiting is not recognised")
	}
}
