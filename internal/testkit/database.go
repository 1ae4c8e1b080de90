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

	"github.com/cardflow/cardflow/schema"
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
// leftovers or on each other, and suites run side by side.
func Database(t testing.TB) string {
	t.Helper()
	dbURL := EmptyDatabase(t)
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := schema.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return dbURL
}

// EmptyDatabase is Database without the schema (to test what happens
// before `worker migrate`).
func EmptyDatabase(t testing.TB) string {
	t.Helper()
	Integration(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "cardflow_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
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
	u, err := url.Parse(PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
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
