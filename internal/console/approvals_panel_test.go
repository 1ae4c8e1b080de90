package console

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/workflows/cardstate"
	"github.com/cardflow/cardflow/workflows/lane"
)

// activeApprovedCard writes an active card for carol whose request alice
// and bob approved (its approvals row closed approved, with their votes).
func (w *world) activeApprovedCard() string {
	w.t.Helper()
	ctx := context.Background()
	id := w.card("carol", "olivia", "standard", "alice", "bob")
	if _, err := w.store.DB.ExecContext(ctx, `UPDATE cards SET state = 'active', card_number = 'C0000301', station = 'station-2', production_generation = 1 WHERE id = $1`, id); err != nil {
		w.t.Fatal(err)
	}
	if err := w.store.CloseApproval(ctx, "request-card-"+id, "run", store.ApprovalApproved, time.Now()); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// openOperationApproval opens op's approval on card in run, as the
// approval process does, waiting on the card's lane.
func (w *world) openOperationApproval(cardID, op, run string, expires time.Time) {
	w.t.Helper()
	if _, err := w.store.OpenApproval(context.Background(), store.Approval{
		CardID: cardID, Operation: op, WorkflowID: "card-" + cardID, RunID: run, ApprovalsRequired: 2, ApproverRole: "approver",
		RequestedBy: "olivia", HolderID: "carol", CardType: "standard", ExpiresAt: &expires, CreatedAt: time.Now(),
	}); err != nil {
		w.t.Fatal(err)
	}
	w.cards.mu.Lock()
	w.cards.open[cardID] = &lane.Status{Type: cardstate.DeactivateType, CardID: cardID, AwaitingApproval: true, Step: "waiting for approval"}
	w.cards.mu.Unlock()
}

// vote records a vote on the card's approval of run, with the token the
// approval process gives it ("<run id>/<update id>").
func (w *world) vote(cardID, run, kind, actor, comment string) {
	w.t.Helper()
	if _, err := w.store.RecordVote(context.Background(), store.Vote{WorkflowID: "card-" + cardID, RunID: run, CardID: cardID,
		Kind: kind, Actor: actor, Comment: comment, At: time.Now(), Token: run + "/" + uuid.NewString()}); err != nil {
		w.t.Fatal(err)
	}
}

// The card page's Approvals panel shows the approval of whatever operation
// waits on the card, from PostgreSQL: a deactivation with its approvals
// given and required, its expiry, who postponed it with their comment;
// and below it the closed approvals (the request's) with their votes. The
// live fragment shows the same.
func TestCardPageShowsTheDeactivationWaitingWithItsPostponement(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	id := w.activeApprovedCard()
	expires := time.Now().Add(50 * time.Hour)
	w.openOperationApproval(id, "deactivation", "run-d", expires)
	w.vote(id, "run-d", "postpone", "alice", "waiting for HR to confirm")
	w.vote(id, "run-d", "approve", "bob", "fine by me")

	alice := w.as("alice")
	p := alice.get("/cards/" + id)
	if p.status != http.StatusOK {
		t.Fatalf("card page %d", p.status)
	}
	open := between(p.body, `class="approval approval-open"`, `</div>`)
	for _, want := range []string{
		"Deactivation waits for approval", "(1 of 2)",
		"<dt>Operation</dt><dd>deactivation</dd>", "<dt>Requested by</dt><dd>olivia</dd>",
		`<time datetime="` + expires.UTC().Format(time.RFC3339) + `"`, "(in 2 days)",
		"holding the directory role “approver”",
		"<strong>bob</strong> approved", "“fine by me”",
		"<strong>alice</strong> postponed", "“waiting for HR to confirm”",
	} {
		if !strings.Contains(open, want) {
			t.Errorf("the open approval lacks %q:\n%s", want, open)
		}
	}
	// The request's approval, closed, with its votes from the audit trail.
	closed := between(p.body, `class="approval approval-closed"`, `</div>`)
	for _, want := range []string{"Request approved", "<strong>alice</strong> approved", "<strong>bob</strong> approved"} {
		if !strings.Contains(closed, want) {
			t.Errorf("the closed request approval lacks %q:\n%s", want, closed)
		}
	}
	if strings.Index(p.body, "approval-open") > strings.Index(p.body, "approval-closed") {
		t.Error("the closed approval is shown before the open one")
	}
	// The card's "Expires" is the deactivation's, and alice may still
	// decide: her postponement is marked.
	p.has(t, `<dt>Expires</dt><dd><time datetime="`+expires.UTC().Format(time.RFC3339)+`"`, ">Approve</button>", "Postponed by you: waiting for HR to confirm")

	live := alice.get("/cards/" + id + "/live?state=active/" + cardstate.DeactivateType)
	if live.header.Get("HX-Refresh") != "" {
		t.Error("the fragment reloads the page while the deactivation waits")
	}
	live.has(t, "Deactivation waits for approval", "(1 of 2)", "“waiting for HR to confirm”", "Request approved")

	w.as("bob").get("/cards/"+id).has(t, "You approved this deactivation already", "Deactivation waits for approval")
}

// Closed approvals show their votes from the audit trail, each approval
// its own: a rejected deactivation keeps its postponement and rejection,
// the next one waiting shows only its own postponement.
func TestCardPageShowsTheVotesOfClosedApprovals(t *testing.T) {
	w := newWorldWith(t, lifecyclePolicy)
	ctx := context.Background()
	id := w.activeApprovedCard()
	w.openOperationApproval(id, "deactivation", "run-d1", time.Now().Add(time.Hour))
	w.vote(id, "run-d1", "postpone", "alice", "ask HR")
	w.vote(id, "run-d1", "reject", "alice", "not without HR")
	if err := w.store.CloseApproval(ctx, "card-"+id, "run-d1", store.ApprovalRejected, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.openOperationApproval(id, "deactivation", "run-d2", time.Now().Add(time.Hour))
	w.vote(id, "run-d2", "postpone", "bob", "on Monday")

	p := w.as("olivia").get("/cards/" + id)
	open := between(p.body, `class="approval approval-open"`, `</div>`)
	if !strings.Contains(open, "<strong>bob</strong> postponed") || !strings.Contains(open, "“on Monday”") || !strings.Contains(open, "(0 of 2)") {
		t.Errorf("the waiting deactivation:\n%s", open)
	}
	if strings.Contains(open, "ask HR") || strings.Contains(open, "alice") {
		t.Errorf("the waiting deactivation shows the earlier one's votes:\n%s", open)
	}
	rejected := between(p.body, "Deactivation rejected", `</div>`)
	for _, want := range []string{"<strong>alice</strong> postponed", "“ask HR”", "<strong>alice</strong> rejected", "“not without HR”"} {
		if !strings.Contains(rejected, want) {
			t.Errorf("the rejected deactivation lacks %q:\n%s", want, rejected)
		}
	}
	if strings.Contains(rejected, "on Monday") {
		t.Errorf("the rejected deactivation shows the next one's postponement:\n%s", rejected)
	}
	p.has(t, "Request approved")
}

// A version-2 request waiting since before the shared approval process
// has the row migration 00018 wrote (no votes in card_events; role and
// expiry guessed): the panel shows it waiting with the workflow's
// approvals, the card's "Expires" is the workflow's, and the decision is
// offered by the policy's rules, not the guessed row's.
func TestCardPageShowsABackfilledRequestWithTheWorkflowsApprovals(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	id := uuid.NewString()
	created := time.Now().Add(-time.Hour)
	if _, _, err := w.store.InsertCard(ctx, store.Card{ID: id, UserID: "carol", CardType: "standard", CommonName: "CN carol", UPN: "carol@example.com",
		State: cards.StateRequested, RequestedBy: "olivia", WorkflowID: "request-card-" + id, ApprovalsRequired: 2}, created); err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.DB.ExecContext(ctx, `
		INSERT INTO approvals (card_id, operation, workflow_id, run_id, approvals_required, approver_role, requested_by, holder_id, card_type, expires_at, created_at)
		SELECT id, 'request', 'request-card-' || id::text, $2, approvals_required, 'approver', requested_by, user_id, card_type, created_at + interval '168 hours', created_at
		FROM cards WHERE id = $1`, id, store.BackfilledRunID); err != nil {
		t.Fatal(err)
	}
	expires := created.Add(72 * time.Hour)
	w.cards.mu.Lock()
	w.cards.statuses[id] = cards.Status{ID: id, UserID: "carol", CardType: "standard", State: cards.StateRequested, RequestedBy: "olivia",
		ApprovalsRequired: 2, Approvals: []cards.Approval{{Actor: "bob", Comment: "known to me", At: created.Add(time.Minute)}}, ExpiresAt: &expires}
	w.cards.mu.Unlock()

	p := w.as("alice").get("/cards/" + id)
	open := between(p.body, `class="approval approval-open"`, `</div>`)
	for _, want := range []string{"Request waits for approval", "(1 of 2)", "<strong>bob</strong> approved", "“known to me”", "its approvals are its workflow's"} {
		if !strings.Contains(open, want) {
			t.Errorf("the backfilled request lacks %q:\n%s", want, open)
		}
	}
	p.has(t, `<dt>Expires</dt><dd><time datetime="`+expires.UTC().Format(time.RFC3339)+`"`, ">Approve</button>")
	w.as("bob").get("/cards/"+id).has(t, "You approved this card already")
}
