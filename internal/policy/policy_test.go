package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/policy"
)

// contractExample is the policy of the product contract.
const contractExample = `
useCases:
  requestCard: true          # default false, as in the original product
defaultCardType: standard
cardTypes:
  standard:
    approval:
      required: true         # "Add an approval step"
      approvers: 1           # distinct approvers needed (N of any)
      timeout: 168h          # then the request is aborted
    mapping:                 # CardsMapUserToCard; Go text/template over the user
      commonName: "{{.GivenName}} {{.Surname}}"
      upn: "{{.UPN}}"
  visitor:
    approval:
      required: false
`

func TestContractExample(t *testing.T) {
	p, err := policy.Parse([]byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.EnabledUseCases(); len(got) != 1 || got[0] != "requestCard" {
		t.Fatalf("enabled = %v", got)
	}
	std, err := p.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Resolved{CardType: "standard", ApprovalRequired: true, ApproversRequired: 1, ApprovalTimeout: 168 * time.Hour,
		CommonNameTemplate: "{{.GivenName}} {{.Surname}}", UPNTemplate: "{{.UPN}}",
		RequesterRole: "operator", ApproverRole: "approver", RemindBefore: 24 * time.Hour}
	if std != want {
		t.Fatalf("standard = %+v, want %+v", std, want)
	}
	visitor, err := p.Resolve("visitor")
	if err != nil || visitor.ApprovalRequired || visitor.ApproversRequired != 0 || visitor.CommonNameTemplate != policy.DefaultCommonNameTemplate {
		t.Fatalf("visitor = %+v, %v", visitor, err)
	}
}

func TestDefaults(t *testing.T) {
	p, err := policy.Parse([]byte("useCases: {requestCard: true}\ncardTypes:\n  standard:\n    approval: {required: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := p.Resolve("standard")
	if r.ApproversRequired != 1 || r.ApprovalTimeout != 168*time.Hour || r.UPNTemplate != "{{.UPN}}" {
		t.Fatalf("defaults = %+v", r)
	}
}

// The roles section of the contract: who may request and who may decide.
func TestRoles(t *testing.T) {
	p, err := policy.Parse([]byte(`
useCases: {requestCard: true}
requesterRole: desk
selfService: true
cardTypes:
  standard:
    approval: {required: true, approvers: 2, approverRole: badge-office, timeout: 168h, remindBefore: 48h}
  short:
    approval: {required: true, timeout: 12h}
`))
	if err != nil {
		t.Fatal(err)
	}
	std, _ := p.Resolve("standard")
	if std.RequesterRole != "desk" || !std.SelfService || std.ApproverRole != "badge-office" || std.RemindBefore != 48*time.Hour {
		t.Fatalf("standard = %+v", std)
	}
	// A timeout shorter than the default reminder lead means no reminder.
	short, _ := p.Resolve("short")
	if short.ApproverRole != policy.DefaultApproverRole || short.RemindBefore != 0 {
		t.Fatalf("short = %+v, want the default approver role and no reminder", short)
	}
}

// Every use case is off by default, and a policy that enables none is
// refused, naming both keys: a worker would poll for work it must refuse.
func TestAPolicyEnablingNothingIsRefused(t *testing.T) {
	for _, yaml := range []string{"", "useCases: {requestCard: false, issueCard: false}\n", "cardTypes: {standard: {}}\n"} {
		_, err := policy.Parse([]byte(yaml))
		if err == nil || !strings.Contains(err.Error(), "enables no use case") ||
			!strings.Contains(err.Error(), "useCases.requestCard") || !strings.Contains(err.Error(), "useCases.issueCard") {
			t.Fatalf("%q: err = %v, want a refusal naming both use cases", yaml, err)
		}
	}
	for yaml, want := range map[string][]string{
		"useCases: {requestCard: true}\n":                  {"requestCard"},
		"useCases: {issueCard: true}\n":                    {"issueCard"},
		"useCases: {requestCard: true, issueCard: true}\n": {"requestCard", "issueCard"},
	} {
		p, err := policy.Parse([]byte(yaml))
		if err != nil {
			t.Fatalf("%q: %v", yaml, err)
		}
		if got := p.EnabledUseCases(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%q: enabled = %v, want %v", yaml, got, want)
		}
	}
}

func TestInvalidPoliciesNameTheProblem(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"unknown top-level key": {"useCases: {requestCard: true}\nfoo: 1\n", "foo"},
		"zero remindBefore":     {"cardTypes: {standard: {approval: {required: true, remindBefore: 0s}}}\n", "remindBefore must be positive"},
		"spaced approver role":  {"cardTypes: {standard: {approval: {approverRole: ' x'}}}\n", "approverRole"},
		"misspelt role key":     {"cardTypes: {standard: {approval: {approverrole: x}}}\n", "approverrole"},
		"requester role type":   {"requesterRole: [a, b]\n", "cannot unmarshal"},
		"unknown use case":      {"useCases: {requestCards: true}\n", "requestCards"},
		"unknown approval key":  {"cardTypes:\n  standard:\n    approval: {required: true, aprovers: 2}\n", "aprovers"},
		"unknown mapping key":   {"cardTypes:\n  standard:\n    mapping: {cn: x}\n", "cn"},
		"unknown default type":  {"defaultCardType: gold\ncardTypes:\n  standard: {}\n", `defaultCardType "gold"`},
		"template syntax":       {"cardTypes:\n  standard:\n    mapping: {commonName: \"{{.GivenName\"}\n", "cardTypes.standard.mapping.commonName"},
		"template field":        {"cardTypes:\n  standard:\n    mapping: {upn: \"{{.Nmae}}\"}\n", "Nmae"},
		"zero approvers":        {"cardTypes:\n  standard:\n    approval: {required: true, approvers: 0}\n", "approvers must be positive, got 0"},
		"negative approvers":    {"cardTypes:\n  standard:\n    approval: {required: true, approvers: -1}\n", "approvers must be positive, got -1"},
		"bad duration":          {"cardTypes:\n  standard:\n    approval: {required: true, timeout: a week}\n", `"a week" is not a duration`},
		"zero timeout":          {"cardTypes:\n  standard:\n    approval: {required: true, timeout: 0s}\n", "timeout must be positive"},
		"not YAML":              {"useCases: [", "invalid YAML"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := policy.Parse([]byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestUnknownCardTypeListsTheKnownOnes(t *testing.T) {
	p, err := policy.Parse([]byte(contractExample))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Resolve("gold")
	var unknown *policy.ErrUnknownCardType
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "standard, visitor") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte("bogus: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want it to name %s", err, path)
	}
	if _, err := policy.Load(filepath.Join(t.TempDir(), "absent.yaml")); err == nil || !strings.Contains(err.Error(), "CARDS_POLICY") {
		t.Fatalf("missing file: err = %v", err)
	}
}

func TestShippedPolicyIsValid(t *testing.T) {
	p, err := policy.Load(filepath.Join("..", "..", "config", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.EnabledUseCases()) == 0 {
		t.Fatal("the shipped policy must enable the use case: `make up` runs with it")
	}
}
