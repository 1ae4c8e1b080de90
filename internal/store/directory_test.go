package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testdb"
)

func directory(t *testing.T, users ...cards.User) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), testdb.New(t), store.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, u := range users {
		if err := st.UpsertUserWithRoles(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestUserByEmailIgnoresCaseAndRefusesAmbiguity(t *testing.T) {
	st := directory(t,
		cards.User{ID: "ada", Email: "Ada@Example.com", State: "active", Roles: []string{"approver"}},
		cards.User{ID: "twin1", Email: "twin@example.com", State: "active"},
		cards.User{ID: "twin2", Email: "TWIN@example.com", State: "active"},
	)
	ctx := context.Background()
	u, err := st.UserByEmail(ctx, " ada@example.COM ")
	if err != nil || u.ID != "ada" || !u.HasRole("approver") {
		t.Fatalf("UserByEmail = %+v, %v", u, err)
	}
	if _, err := st.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("unknown address: %v, want ErrNoRows", err)
	}
	if _, err := st.UserByEmail(ctx, "twin@example.com"); !errors.Is(err, store.ErrAmbiguous) {
		t.Fatalf("shared address: %v, want ErrAmbiguous", err)
	}
}

func TestSearchUsersByIdOrName(t *testing.T) {
	st := directory(t,
		cards.User{ID: "lovelace", GivenName: "Ada", Surname: "Lovelace", State: "active"},
		cards.User{ID: "ada", GivenName: "Augusta", Surname: "King", State: "active"},
		cards.User{ID: "p_1", GivenName: "Percent", Surname: "100%", State: "active"},
		cards.User{ID: "px1", GivenName: "Other", Surname: "Person", State: "active"},
	)
	ctx := context.Background()
	ids := func(q string) []string {
		found, err := st.SearchUsers(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range found {
			out = append(out, u.ID)
		}
		return out
	}
	for q, want := range map[string][]string{
		"ada":          {"ada", "lovelace"}, // the exact id first, then names
		"ADA LOV":      {"lovelace"},
		"lovelace ada": {"lovelace"},
		"p_":           {"p_1"}, // _ is a letter here, not a wildcard
		"100%":         {"p_1"},
		"":             nil,
		"zzz":          nil,
	} {
		got := ids(q)
		if len(got) != len(want) || (len(got) > 0 && (got[0] != want[0] || got[len(got)-1] != want[len(want)-1])) {
			t.Errorf("SearchUsers(%q) = %v, want %v", q, got, want)
		}
	}
}
