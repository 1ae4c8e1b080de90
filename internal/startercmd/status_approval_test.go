package startercmd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// The status document carries the approval open on the card, of whatever
// operation: a deactivation's (its approvals with their comments, who
// postponed it with what comment, until when) as well as a request's; the
// text shows it too, with what to do next. Once closed, there is none.
func TestStatusCarriesTheOpenApprovalOfAnyOperation(t *testing.T) {
	ctx := context.Background()
	st, dbURL := testkit.Store(t, cards.User{ID: "carol", State: "active"}, cards.User{ID: "dan", State: "active"})
	e := &env{ctx: ctx, g: &Globals{Database: cliparse.Database{DatabaseURL: dbURL}}}
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	expires := now.Add(48 * time.Hour)
	insert := func(user string, state cards.State, open *store.Approval) string {
		t.Helper()
		id := uuid.NewString()
		if _, _, err := st.InsertCardOpening(ctx, store.Card{ID: id, UserID: user, CardType: "standard", CommonName: "CN", UPN: user + "@example.com",
			State: state, RequestedBy: "olivia", WorkflowID: "request-card-" + id, ApprovalsRequired: 2}, now, nil, open); err != nil {
			t.Fatal(err)
		}
		return id
	}

	active := insert("carol", cards.StateActive, nil)
	if _, err := st.OpenApproval(ctx, store.Approval{CardID: active, Operation: "deactivation", WorkflowID: "card-" + active, RunID: "run-d",
		ApprovalsRequired: 2, ApproverRole: "approver", RequestedBy: "olivia", HolderID: "carol", CardType: "standard", ExpiresAt: &expires, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for i, v := range []store.Vote{
		{Kind: "postpone", Actor: "alice", Comment: "waiting for HR to confirm"},
		{Kind: "approve", Actor: "bob", Comment: "fine by me"},
	} {
		v.WorkflowID, v.RunID, v.CardID, v.At, v.Token = "card-"+active, "run-d", active, now.Add(time.Duration(i+1)*time.Minute), "run-d/"+v.Kind
		if _, err := st.RecordVote(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	s := cards.Status{ID: active, State: cards.StateActive}
	if err := e.addLifecycle(ctx, &s); err != nil {
		t.Fatal(err)
	}
	a := s.Approval
	if a == nil || a.Operation != "deactivation" || a.WorkflowID != "card-"+active || a.ApprovalsRequired != 2 || a.ApproverRole != "approver" ||
		a.RequestedBy != "olivia" || !a.OpenedAt.Equal(now) || a.ExpiresAt == nil || !a.ExpiresAt.Equal(expires) {
		t.Fatalf("approval %+v", a)
	}
	if len(a.Approvals) != 1 || a.Approvals[0].Actor != "bob" || a.Approvals[0].Comment != "fine by me" || !a.Approvals[0].At.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("approvals %+v", a.Approvals)
	}
	if len(a.Postponed) != 1 || a.Postponed[0].Actor != "alice" || a.Postponed[0].Comment != "waiting for HR to confirm" {
		t.Fatalf("postponed %+v", a.Postponed)
	}

	text := printed(s, false)
	for _, want := range []string{
		"  approval:    deactivation, 1 of 2 (bob); requested by olivia, decided by role approver; expires 2026-05-06T10:00:00Z\n",
		"  postponed:   by alice at 2026-05-04T10:01:00Z: waiting for HR to confirm\n",
		"Next: starter approve --card " + active,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	var doc struct {
		Approval *struct {
			Operation         string `json:"operation"`
			ApprovalsRequired int    `json:"approvalsRequired"`
			Approvals         []struct{ Actor, Comment string }
			Postponed         []struct{ Actor, Comment string }
			ExpiresAt         string `json:"expiresAt"`
		} `json:"approval"`
	}
	if err := json.Unmarshal([]byte(printed(s, true)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Approval == nil || doc.Approval.Operation != "deactivation" || doc.Approval.ApprovalsRequired != 2 || len(doc.Approval.Approvals) != 1 ||
		len(doc.Approval.Postponed) != 1 || doc.Approval.Postponed[0].Comment != "waiting for HR to confirm" || doc.Approval.ExpiresAt == "" {
		t.Fatalf("--json approval: %+v", doc.Approval)
	}

	// A request's approval (the row a version-3 RequestCard opens).
	requested := insert("dan", cards.StateRequested, &store.Approval{Operation: "request", RunID: "run-r", ApprovalsRequired: 2, ApproverRole: "approver", ExpiresAt: &expires})
	r := cards.Status{ID: requested, State: cards.StateRequested}
	if err := e.addLifecycle(ctx, &r); err != nil {
		t.Fatal(err)
	}
	if r.Approval == nil || r.Approval.Operation != "request" || r.Approval.WorkflowID != "request-card-"+requested || len(r.Approval.Approvals) != 0 {
		t.Fatalf("request approval %+v", r.Approval)
	}
	if text := printed(r, false); !strings.Contains(text, "  approval:    request, 0 of 2; requested by olivia") {
		t.Errorf("text of the request:\n%s", text)
	}

	// Closed: no approval in the document.
	if err := st.CloseApproval(ctx, "card-"+active, "run-d", store.ApprovalApproved, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s = cards.Status{ID: active, State: cards.StateActive}
	if err := e.addLifecycle(ctx, &s); err != nil {
		t.Fatal(err)
	}
	if s.Approval != nil || strings.Contains(printed(s, true), `"approval"`) || strings.Contains(printed(s, false), "approval:") {
		t.Fatalf("a closed approval is shown as open: %+v", s.Approval)
	}
}

// printed is what the starter prints for s, as text or --json.
func printed(s cards.Status, asJSON bool) string {
	var out bytes.Buffer
	o := &output{json: asJSON, stdout: &out, stderr: io.Discard}
	o.status(s, "")
	return out.String()
}
