package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

func directory(t *testing.T, users ...cards.User) *store.Store {
	t.Helper()
	st, _ := testkit.Store(t, users...)
	return st
}

func TestUserByEmailIgnoresCaseAndAddressesAreUnique(t *testing.T) {
	st := directory(t,
		cards.User{ID: "ada", Email: "Ada@Example.com", State: "active", Roles: []string{"approver"}},
		cards.User{ID: "twin1", Email: "twin@example.com", State: "active"},
	)
	ctx := context.Background()
	u, err := st.UserByEmail(ctx, " ada@example.COM ")
	if err != nil || u.ID != "ada" || !u.HasRole("approver") {
		t.Fatalf("UserByEmail = %+v, %v", u, err)
	}
	if _, err := st.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("unknown address: %v, want ErrNoRows", err)
	}
	// A second user with the same address, in another case, is refused
	// with the holder's name, by either upsert.
	twin := cards.User{ID: "twin2", Email: "TWIN@example.com", State: "active"}
	for name, upsert := range map[string]func(context.Context, cards.User) error{"UpsertUserWithRoles": st.UpsertUserWithRoles, "UpsertUser": st.UpsertUser} {
		var taken *store.EmailTakenError
		if err := upsert(ctx, twin); !errors.As(err, &taken) || taken.Holder != "twin1" || taken.UserID != "twin2" {
			t.Fatalf("%s of a shared address: %v, want EmailTakenError held by twin1", name, err)
		}
	}
	if u, err := st.UserByEmail(ctx, "twin@example.com"); err != nil || u.ID != "twin1" {
		t.Fatalf("UserByEmail = %+v, %v; want twin1 alone", u, err)
	}
	// The holder may keep (and re-case) their own address.
	if err := st.UpsertUserWithRoles(ctx, cards.User{ID: "twin1", Email: "Twin@Example.com", State: "active"}); err != nil {
		t.Fatalf("holder re-cases their address: %v", err)
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

// One statement gives an approval e-mail its recipients (active holders of
// the role) and the people it names (with or without the role).
func TestApproversAndUsersInOneRead(t *testing.T) {
	st := directory(t,
		cards.User{ID: "alice", State: "active", Roles: []string{"approver"}},
		cards.User{ID: "bob", State: "active", Roles: []string{"approver", "operator"}},
		cards.User{ID: "dave", State: "inactive", Roles: []string{"approver"}},
		cards.User{ID: "olivia", State: "active", Roles: []string{"operator"}},
		cards.User{ID: "carol", State: "active"},
	)
	_, reads0 := st.Counts()
	approvers, named, err := st.ApproversAndUsers(context.Background(), "approver", "olivia", "carol", "bob", "ghost")
	if err != nil {
		t.Fatal(err)
	}
	if _, reads := st.Counts(); reads-reads0 != 1 {
		t.Fatalf("%d reads, want 1", reads-reads0)
	}
	var ids []string
	for _, u := range approvers {
		ids = append(ids, u.ID)
	}
	if len(ids) != 2 || ids[0] != "alice" || ids[1] != "bob" {
		t.Fatalf("approvers %v, want [alice bob] (not dave: inactive; not olivia, carol: no role)", ids)
	}
	if len(named) != 3 || named["olivia"].ID != "olivia" || named["carol"].ID != "carol" || !named["bob"].HasRole("operator") {
		t.Fatalf("named %v, want olivia, carol and bob with their roles (ghost is not in the directory)", named)
	}
}
