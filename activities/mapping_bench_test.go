package activities_test

import (
	"context"
	"testing"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/policy"
)

func benchActivities(b *testing.B) *activities.Activities {
	b.Helper()
	pol, err := policy.Parse([]byte(testPolicy))
	if err != nil {
		b.Fatal(err)
	}
	return activities.New(nil, pol)
}

// BenchmarkMapUserToCard measures the mapping with templates parsed once and
// cached by source, as the worker runs it for every request.
func BenchmarkMapUserToCard(b *testing.B) {
	a := benchActivities(b)
	r, _ := a.Policy.Resolve("standard")
	ada := cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace", UPN: "ada@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := activities.MapUserToCard(a, ada, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMapUserToCardParseEachTime is the cost without the cache: what
// "parse once, execute many" saves.
func BenchmarkMapUserToCardParseEachTime(b *testing.B) {
	u := cards.User{ID: "ada", GivenName: "Ada", Surname: "Lovelace", UPN: "ada@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		for _, src := range []string{"{{.Surname}}, {{.GivenName}}", "{{.ID}}@corp.example"} {
			t, err := policy.ParseTemplate(src)
			if err != nil {
				b.Fatal(err)
			}
			var sb discard
			if err := t.Execute(&sb, u); err != nil {
				b.Fatal(err)
			}
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// BenchmarkResolvePolicy measures the policy lookup of every request.
func BenchmarkResolvePolicy(b *testing.B) {
	a := benchActivities(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.ResolvePolicy(ctx, "standard"); err != nil {
			b.Fatal(err)
		}
	}
}
