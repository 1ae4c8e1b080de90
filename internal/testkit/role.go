package testkit

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
	"time"
)

// Role creates a login role with a random name and password and no
// privileges of its own (tests grant what they check), and returns its name
// and databaseURL rewritten to connect as it. Roles belong to the whole
// server, so the test's cleanup closes the role's sessions, drops what it was
// granted in that database and drops the role; call Role after Database so
// that this runs before the database is dropped.
func Role(t testing.TB, databaseURL string) (role, roleURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	role = "cardflow_role_" + randomHex(6)
	password := randomHex(16)
	if _, err := admin.ExecContext(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD '"+password+"'"); err != nil {
		t.Fatalf("create role %s: %v", role, err)
	}
	t.Cleanup(func() { dropRole(t, databaseURL, role) })
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	return role, u.String()
}

func dropRole(t testing.TB, databaseURL, role string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", databaseURL)
	if err != nil {
		t.Logf("drop role %s: %v", role, err)
		return
	}
	defer admin.Close()
	for _, stmt := range []string{
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'",
		"DROP OWNED BY " + role,
		"DROP ROLE " + role,
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			t.Logf("drop role %s: %s: %v", role, stmt, err)
			return
		}
	}
}
