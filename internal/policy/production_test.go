package policy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/policy"
)

// A card type that says nothing about production gets the documented
// defaults (LIFECYCLE.md): three years, one active card, prefix C, a
// 6-digit PIN by letter, authentication and signing, 10 minutes at
// station-1.
func TestProductionDefaults(t *testing.T) {
	p, err := policy.Parse([]byte("useCases: {issueCard: true}\ncardTypes: {standard: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.ResolveProduction("")
	if err != nil {
		t.Fatal(err)
	}
	want := policy.ResolvedProduction{CardType: "standard", Validity: 26280 * time.Hour, NumberPrefix: "C", PINLength: 6,
		PINDelivery: "letter", Certificates: []ca.Usage{ca.Authentication, ca.Signing}, StationTimeout: 10 * time.Minute,
		Station: "station-1", RequesterRole: "operator"}
	if !equalProduction(got, want) {
		t.Fatalf("defaults = %+v, want %+v", got, want)
	}
	if _, err := p.ResolveProduction("gold"); err == nil || !strings.Contains(err.Error(), `"gold"`) {
		t.Fatalf("unknown card type: %v", err)
	}
}

func TestProductionSettings(t *testing.T) {
	p, err := policy.Parse([]byte(`
useCases: {requestCard: true, issueCard: true}
cardTypes:
  standard:
    validity: 8760h
    multipleActive: true
    production:
      numberPrefix: SID
      pinLength: 4
      pinDelivery: email
      certificates: [encryption, authentication]
      stationTimeout: 90s
      station: print-room-2
`))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := p.ResolveProduction("standard")
	want := policy.ResolvedProduction{CardType: "standard", Validity: 8760 * time.Hour, MultipleActive: true, NumberPrefix: "SID", PINLength: 4,
		PINDelivery: "email", Certificates: []ca.Usage{ca.Encryption, ca.Authentication}, StationTimeout: 90 * time.Second,
		Station: "print-room-2", RequesterRole: "operator"}
	if !equalProduction(got, want) {
		t.Fatalf("settings = %+v, want %+v", got, want)
	}
}

func TestInvalidProductionSettingsNameTheKey(t *testing.T) {
	ct := func(block string) string {
		return "useCases: {issueCard: true}\ncardTypes:\n  standard:\n" + block
	}
	cases := map[string]struct{ yaml, want string }{
		"zero validity":       {ct("    validity: 0s\n"), "cardTypes.standard.validity must be positive"},
		"negative validity":   {ct("    validity: -1h\n"), "cardTypes.standard.validity must be positive"},
		"lower-case prefix":   {ct("    production: {numberPrefix: c}\n"), "cardTypes.standard.production.numberPrefix"},
		"long prefix":         {ct("    production: {numberPrefix: ABCDEFGHI}\n"), "at most 8 allowed"},
		"pin length 5":        {ct("    production: {pinLength: 5}\n"), "cardTypes.standard.production.pinLength must be 6 (the default) or 4, got 5"},
		"pin delivery":        {ct("    production: {pinDelivery: pigeon}\n"), `cardTypes.standard.production.pinDelivery must be letter, email or none, got "pigeon"`},
		"unknown usage":       {ct("    production: {certificates: [authentication, wifi]}\n"), `cardTypes.standard.production.certificates: unknown certificate usage "wifi"`},
		"duplicate usage":     {ct("    production: {certificates: [signing, signing]}\n"), "certificates lists signing twice"},
		"no certificates":     {ct("    production: {certificates: []}\n"), "cardTypes.standard.production.certificates must list at least one"},
		"zero station wait":   {ct("    production: {stationTimeout: 0s}\n"), "cardTypes.standard.production.stationTimeout must be positive"},
		"spaced station":      {ct("    production: {station: print room}\n"), "cardTypes.standard.production.station: must not contain whitespace"},
		"misspelt key":        {ct("    production: {pinLenght: 4}\n"), `unknown key "pinLenght" in cardTypes.standard.production; valid keys: numberPrefix, pinLength, pinDelivery, certificates, stationTimeout, station`},
		"misspelt card key":   {ct("    multipleactive: true\n"), `unknown key "multipleactive" in cardTypes.standard; valid keys: approval, mapping, validity, multipleActive, production`},
		"misspelt use case":   {"useCases: {issueCards: true}\n", `valid keys: requestCard, issueCard`},
		"bad validity syntax": {ct("    validity: 3 years\n"), `"3 years" is not a duration`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := policy.Parse([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to say %s", err, c.want)
			}
		})
	}
}

// The shipped demo policy loads, enables Issue card and documents every
// production key.
func TestShippedPolicyEnablesIssueCard(t *testing.T) {
	p, err := policy.Load("../../config/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !p.UseCases.IssueCard || !p.UseCases.RequestCard {
		t.Fatalf("use cases = %+v, want both", p.UseCases)
	}
}

func equalProduction(a, b policy.ResolvedProduction) bool {
	return slices.Equal(a.Certificates, b.Certificates) && a.CardType == b.CardType && a.Validity == b.Validity &&
		a.MultipleActive == b.MultipleActive && a.NumberPrefix == b.NumberPrefix && a.PINLength == b.PINLength &&
		a.PINDelivery == b.PINDelivery && a.StationTimeout == b.StationTimeout && a.Station == b.Station &&
		a.RequesterRole == b.RequesterRole
}
