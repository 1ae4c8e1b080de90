package policy_test

import (
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/policy"
)

// Each bounded policy value just inside its limit loads; just outside, the
// loader names the key and the rule.
func TestPolicyLimitsJustUnderAndJustOver(t *testing.T) {
	long := func(n int) string { return strings.Repeat("r", n) }
	cardType := func(approval, mapping string) string {
		return "useCases: {requestCard: true}\ncardTypes:\n  standard:\n    approval: {" + approval + "}\n    mapping: {" + mapping + "}\n"
	}
	cases := []struct {
		name     string
		ok, bad  string
		wantInEr string
	}{
		{"approvers at most 100",
			cardType("required: true, approvers: 100", ""), cardType("required: true, approvers: 101", ""),
			"cardTypes.standard.approval.approvers must be at most 100, got 101"},
		{"approvers a million",
			cardType("required: true, approvers: 1", ""), cardType("required: true, approvers: 1000000", ""),
			"approvers must be at most 100, got 1000000"},
		{"approvers positive",
			cardType("required: true, approvers: 1", ""), cardType("required: true, approvers: 0", ""),
			"cardTypes.standard.approval.approvers must be positive, got 0"},
		{"approverRole length",
			cardType("approverRole: "+long(limits.MaxIdentifier), ""), cardType("approverRole: "+long(limits.MaxIdentifier+1), ""),
			"cardTypes.standard.approval.approverRole: at most 128 characters (got 129)"},
		{"approverRole whitespace",
			cardType("approverRole: badge-office", ""), cardType("approverRole: badge office", ""),
			"cardTypes.standard.approval.approverRole: must not contain whitespace"},
		{"requesterRole length",
			"requesterRole: " + long(limits.MaxIdentifier) + "\n", "requesterRole: " + long(limits.MaxIdentifier+1) + "\n",
			"requesterRole: at most 128 characters (got 129)"},
		{"requesterRole control character",
			"requesterRole: desk\n", "requesterRole: \"de\\tsk\"\n",
			"requesterRole: must not contain whitespace or control characters"},
		{"empty upn template",
			cardType("", `upn: "{{.UPN}}"`), cardType("", `upn: ""`),
			"cardTypes.standard.mapping.upn must not be empty"},
		{"blank commonName template",
			cardType("", `commonName: "{{.Surname}}"`), cardType("", `commonName: "  "`),
			"cardTypes.standard.mapping.commonName must not be empty"},
		{"card type name length",
			"cardTypes: {" + long(limits.MaxIdentifier) + ": {}}\ndefaultCardType: " + long(limits.MaxIdentifier) + "\n",
			"cardTypes: {" + long(limits.MaxIdentifier+1) + ": {}}\ndefaultCardType: " + long(limits.MaxIdentifier+1) + "\n",
			"cardTypes: a card type name: at most 128 characters (got 129)"},
		{"card type name whitespace",
			"cardTypes: {visitor-badge: {}}\ndefaultCardType: visitor-badge\n", "cardTypes: {visitor badge: {}}\ndefaultCardType: visitor badge\n",
			`cardTypes: card type "visitor badge": must not contain whitespace`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := policy.Parse([]byte(enabled(c.ok))); err != nil {
				t.Fatalf("just inside the limit refused: %v\n%s", err, c.ok)
			}
			_, err := policy.Parse([]byte(enabled(c.bad)))
			if err == nil || !strings.Contains(err.Error(), c.wantInEr) {
				t.Fatalf("err = %v, want it to say %q", err, c.wantInEr)
			}
		})
	}
}

// enabled adds useCases.requestCard to a policy that enables nothing, which
// Parse refuses whatever else it holds.
func enabled(yaml string) string {
	if strings.Contains(yaml, "useCases") {
		return yaml
	}
	return "useCases: {requestCard: true}\n" + yaml
}

// A misspelt key is named with its line, its place and the keys that would
// be right, never with a Go type name.
func TestUnknownKeysListTheValidOnes(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"top level": {"# policy\nuseCase:\n  requestCard: true\n",
			`line 2: unknown key "useCase"; valid keys: useCases, defaultCardType, requesterRole, selfService, batchRequestApproval, cardTypes`},
		"use case": {"useCases:\n  requestCards: true\n",
			`line 2: unknown key "requestCards" in useCases; valid keys: requestCard`},
		"card type": {"cardTypes:\n  standard:\n    aproval: {required: true}\n",
			`line 3: unknown key "aproval" in cardTypes.standard; valid keys: approval, mapping`},
		"approval": {"cardTypes:\n  standard:\n    approval:\n      required: true\n      aprovers: 2\n",
			`line 5: unknown key "aprovers" in cardTypes.standard.approval; valid keys: required, approvers, timeout, approverRole, remindBefore`},
		"mapping": {"cardTypes:\n  visitor:\n    mapping: {cn: x}\n",
			`line 3: unknown key "cn" in cardTypes.visitor.mapping; valid keys: commonName, upn`},
		"an anchor holder": {"base: &b {required: true}\n",
			`line 1: unknown key "base"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := policy.Parse([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to say %s", err, c.want)
			}
			for _, goName := range []string{"policy.", "not found in type", "struct"} {
				if strings.Contains(err.Error(), goName) {
					t.Fatalf("err = %v: names a Go type (%s)", err, goName)
				}
			}
		})
	}
	// Every misspelling at once, and a YAML merge is followed, not refused.
	_, err := policy.Parse([]byte("useCase: {}\ncardTypes:\n  standard:\n    approval: &a {required: true, timeot: 1h}\n  visitor:\n    approval: {<<: *a, required: false}\n"))
	if err == nil || !strings.Contains(err.Error(), `line 1: unknown key "useCase"`) || !strings.Contains(err.Error(), `line 4: unknown key "timeot"`) {
		t.Fatalf("err = %v, want both keys named", err)
	}
	if _, err := policy.Parse([]byte("useCases: {requestCard: true}\ncardTypes:\n  standard:\n    approval: &a {required: true, timeout: 1h}\n  visitor:\n    approval: {<<: *a, required: false}\n")); err != nil {
		t.Fatalf("a policy with a YAML merge: %v", err)
	}
}
