package policy

import (
	"strings"
	"testing"
	"time"
)

func TestOperationApprovalsDefaultToNotRequired(t *testing.T) {
	p, err := Parse([]byte("useCases: {issueCard: true}\ncardTypes:\n  standard: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{OperationDeactivation, OperationReactivation, OperationLock} {
		r, err := p.ResolveOperationApproval("", op)
		if err != nil || r.Required {
			t.Fatalf("%s: got %+v, %v; want not required", op, r, err)
		}
	}
}

func TestOperationApprovalIsShapedLikeRequestCards(t *testing.T) {
	p, err := Parse([]byte(`useCases: {issueCard: true}
cardTypes:
  standard:
    lock:
      approval: {required: true, approvers: 2, timeout: 48h, approverRole: security}
    deactivation:
      approval: {required: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.ResolveOperationApproval("standard", OperationLock)
	if err != nil {
		t.Fatal(err)
	}
	want := ResolvedApproval{Required: true, Approvers: 2, ApproverRole: "security", Timeout: 48 * time.Hour, RemindBefore: 24 * time.Hour}
	if r != want {
		t.Fatalf("lock: got %+v, want %+v", r, want)
	}
	r, _ = p.ResolveOperationApproval("standard", OperationDeactivation)
	if r.Approvers != 1 || r.ApproverRole != DefaultApproverRole || r.Timeout != DefaultApprovalTimeout {
		t.Fatalf("deactivation defaults: got %+v", r)
	}
	if r, _ := p.ResolveOperationApproval("standard", OperationReactivation); r.Required {
		t.Fatalf("reactivation: got %+v, want not required", r)
	}
	if _, err := p.ResolveOperationApproval("gold", OperationLock); err == nil {
		t.Fatal("an unknown card type resolved")
	}
}

func TestOperationApprovalProblemsNameTheirBlock(t *testing.T) {
	_, err := Parse([]byte(`useCases: {issueCard: true}
cardTypes:
  standard:
    reactivation:
      approval: {required: true, approvers: 0}
    lock:
      approvals: {}
`))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{`unknown key "approvals" in cardTypes.standard.lock`} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	_, err = Parse([]byte(`useCases: {issueCard: true}
cardTypes:
  standard:
    reactivation:
      approval: {required: true, approvers: 0}
`))
	if err == nil || !strings.Contains(err.Error(), "cardTypes.standard.reactivation.approval.approvers must be positive") {
		t.Fatalf("got %v", err)
	}
}
