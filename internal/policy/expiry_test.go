package policy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/policy"
)

func TestExpiryDefaults(t *testing.T) {
	p, err := policy.Parse([]byte("useCases: {issueCard: true}\ncardTypes: {standard: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := p.ExpiryRules()["standard"]
	want := []time.Duration{1440 * time.Hour, 720 * time.Hour, 336 * time.Hour, 168 * time.Hour}
	if !slices.Equal(r.Marks, want) || !r.Daily {
		t.Fatalf("rule %+v, want marks %v and daily", r, want)
	}
}

func TestExpiryDefaultsFitAShortValidity(t *testing.T) {
	p, err := policy.Parse([]byte("useCases: {issueCard: true}\ndefaultCardType: visitor\ncardTypes: {visitor: {validity: 720h}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r := p.ExpiryRules()["visitor"]; !slices.Equal(r.Marks, []time.Duration{720 * time.Hour, 336 * time.Hour, 168 * time.Hour}) {
		t.Fatalf("visitor: %+v", r)
	}
}

func TestExpiryGiven(t *testing.T) {
	p, err := policy.Parse([]byte(`
useCases: {issueCard: true}
defaultCardType: short
cardTypes:
  short:
    validity: 30s
    expiry: {remindBefore: [10s, 20s], remindDaily: false}
  none:
    expiry: {remindBefore: []}
`))
	if err != nil {
		t.Fatal(err)
	}
	rules := p.ExpiryRules()
	if r := rules["short"]; !slices.Equal(r.Marks, []time.Duration{20 * time.Second, 10 * time.Second}) || r.Daily {
		t.Fatalf("short: %+v", r)
	}
	if r := rules["none"]; len(r.Marks) != 0 || !r.Daily {
		t.Fatalf("none: %+v", r)
	}
}

func TestExpiryRefusals(t *testing.T) {
	for _, c := range []struct{ block, want string }{
		{"expiry: {remindBefore: 720h}", "cardTypes.standard.expiry.remindBefore (line"},
		{"expiry: {remindBefore: [720h, -1h]}", "cardTypes.standard.expiry.remindBefore (line 4) must hold positive durations, got -1h0m0s"},
		{"expiry: {remindBefore: [0s]}", "must hold positive durations"},
		{"expiry: {remindBefore: [soon]}", `cardTypes.standard.expiry.remindBefore: line 4: "soon" is not a duration`},
		{"expiry: {remindBefore: [1500ms]}", "must hold whole seconds"},
		{"expiry: {remindBefore: [1h, 1h]}", "remindBefore lists 1h0m0s twice"},
		{"validity: 100h\n    expiry: {remindBefore: [1440h]}", "cardTypes.standard.expiry.remindBefore: mark 1440h0m0s is longer than the card type's validity 100h0m0s"},
		{"expiry: {remindDaly: true}", `unknown key "remindDaly" in cardTypes.standard.expiry`},
	} {
		_, err := policy.Parse([]byte("useCases: {issueCard: true}\ncardTypes:\n  standard:\n    " + c.block + "\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.block, err, c.want)
		}
	}
}
