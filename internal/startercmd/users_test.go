package startercmd

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/limits"
	"github.com/cardflow/cardflow/internal/testkit"
)

// upsertArgs is a valid users upsert for id, with flag set to value
// (appended last, so it wins; a repeated --role adds a role).
func upsertArgs(dbURL, id, flag, value string) []string {
	args := []string{"--database-url", dbURL, "--json", "users", "upsert", "--id", id, "--given-name", "Ada", "--surname", "Lovelace",
		"--upn", id + "@example.org", "--email", id + "@mail.example.org", "--state", "active"}
	if flag != "" {
		args = append(args, flag, value)
	}
	return args
}

func countUsers(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every field of users upsert just inside its limit is written; just
// outside it is refused with BadUsage naming the flag and the rule, and
// nothing is written.
func TestUsersUpsertJustUnderAndJustOverTheLimits(t *testing.T) {
	dbURL := testkit.Database(t)
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := strings.Repeat
	address := func(n int) string { return s("a", n-len("@example.org")) + "@example.org" }
	cases := []struct {
		flag    string
		ok, bad []string
	}{
		{"--id", []string{"x", s("i", limits.MaxIdentifier)}, []string{"", s("i", limits.MaxIdentifier+1), s("i", 10000), "ada lovelace", "ada\r"}},
		{"--given-name", []string{"A", "Anne Marie", s("g", limits.MaxName)}, []string{"", " ", s("g", limits.MaxName+1), "Ada\nBcc"}},
		{"--surname", []string{"L", s("s", limits.MaxName)}, []string{"", "   ", s("s", limits.MaxName+1), "Love\x00lace"}},
		{"--upn", []string{"a@b", address(limits.MaxAddress)}, []string{"", "ada", "ada@", "@example.org", "a@b@c", address(limits.MaxAddress + 1), "ada @example.org"}},
		{"--email", []string{"", address(limits.MaxAddress)}, []string{"ada", "ada@example.org\r\nBcc: eve@example.org", address(limits.MaxAddress + 1), "a@b@c"}},
		{"--state", []string{"active", "inactive"}, []string{"", "bogus", "Active", " active"}},
		{"--role", []string{"operator", s("r", limits.MaxIdentifier)}, []string{"", "badge office", s("r", limits.MaxIdentifier+1)}},
	}
	seq := 0
	for _, c := range cases {
		t.Run(c.flag, func(t *testing.T) {
			for _, v := range c.ok {
				seq++
				id := fmt.Sprintf("ok%d", seq)
				if c.flag == "--id" {
					id = v
				}
				r := runStarter(t, upsertArgs(dbURL, id, c.flag, v)...)
				if r.code != ExitOK {
					t.Errorf("%s %.20q (%d characters): exit %d: %s", c.flag, v, len([]rune(v)), r.code, r.stderr)
				}
			}
			before := countUsers(t, db)
			for _, v := range c.bad {
				seq++
				id := fmt.Sprintf("bad%d", seq)
				if c.flag == "--id" {
					id = v
				}
				r := runStarter(t, upsertArgs(dbURL, id, c.flag, v)...)
				if r.code != ExitUsage || r.doc.Error.Type != "BadUsage" || !strings.HasPrefix(r.doc.Error.Message, c.flag+": ") {
					t.Errorf("%s %.20q (%d characters): exit %d, %s: %.200s; want exit 2 BadUsage naming %s",
						c.flag, v, len([]rune(v)), r.code, r.doc.Error.Type, r.doc.Error.Message, c.flag)
				}
			}
			if after := countUsers(t, db); after != before {
				t.Errorf("%d refused users were written", after-before)
			}
		})
	}
	// Several bad flags are named at once.
	r := runStarter(t, "--database-url", dbURL, "--json", "users", "upsert", "--id", "many", "--given-name", "", "--surname", "S",
		"--upn", "nope", "--state", "bogus")
	for _, want := range []string{"--given-name: must not be empty", "--upn: must hold exactly one @", "--state: must be one of active, inactive"} {
		if !strings.Contains(r.doc.Error.Message, want) {
			t.Errorf("message %q lacks %q", r.doc.Error.Message, want)
		}
	}
}

// A second user with an address someone has (in any case) is refused with
// EmailTaken (exit 3) naming the holder; the holder keeps it.
func TestUsersUpsertRefusesAnEmailAddressAnotherUserHas(t *testing.T) {
	dbURL := testkit.Database(t)
	if r := runStarter(t, upsertArgs(dbURL, "carol", "--email", "Carol@Example.org")...); r.code != ExitOK {
		t.Fatalf("carol: exit %d: %s", r.code, r.stderr)
	}
	r := runStarter(t, upsertArgs(dbURL, "mallory", "--email", "carol@example.ORG")...)
	if r.code != ExitRefused || r.doc.Error.Type != cards.ErrEmailTaken || !strings.Contains(r.doc.Error.Message, "user carol") {
		t.Fatalf("mallory with carol's address: exit %d, %+v; want exit 3 EmailTaken naming carol", r.code, r.doc.Error)
	}
	// The holder may upsert again with the same address, in another case;
	// and two users without an address are fine.
	for _, args := range [][]string{
		upsertArgs(dbURL, "carol", "--email", "carol@example.org"),
		upsertArgs(dbURL, "nomail1", "--email", ""),
		upsertArgs(dbURL, "nomail2", "--email", ""),
	} {
		if r := runStarter(t, args...); r.code != ExitOK {
			t.Fatalf("%q: exit %d: %s", args, r.code, r.stderr)
		}
	}
	st, err := (&env{ctx: context.Background(), g: &Globals{Database: cliparse.Database{DatabaseURL: dbURL}}}).store()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.User(context.Background(), "mallory"); err == nil {
		t.Fatal("mallory was written")
	}
}
