package testkit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver
)

// PostgresURL is the maintenance connection the test databases are made
// through; CARDFLOW_TEST_PG overrides it.
func PostgresURL() string {
	if u := os.Getenv("CARDFLOW_TEST_PG"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Database creates a database of its own for the test, with the schema,
// dropped when the test ends, and returns its URL: tests never depend on
// one another, and suites run side by side. It is a copy of a migrated
// template (see template.go), which is quicker than migrating each one.
func Database(t testing.TB) string {
	t.Helper()
	Integration(t)
	tmpl := migratedTemplate.get(t, makeTemplate)
	return createDatabase(t, "TEMPLATE "+tmpl)
}

// EmptyDatabase is Database without the schema (to test what happens
// before `worker migrate`).
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	Integration(t)
	return createDatabase(t, "")
}

// createDatabase creates a database with a random name and options, dropped
// when the test ends, and returns its URL.
func createDatabase(t testing.TB, options string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "cardflow_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" "+options); err != nil {
		t.Fatalf("create test database (is PostgreSQL running at %s?): %v", PostgresURL(), err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("postgres", PostgresURL())
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := databaseURL(name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// databaseURL is the URL of the named database on the test server.
func databaseURL(name string) (string, error) {
	u, err := url.Parse(PostgresURL())
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Open opens a connection pool on databaseURL, closed when the test ends.
func Open(t testing.TB, databaseURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
