package testkit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cardflow/cardflow/schema"
)

// The test databases are copies of a template that holds the schema: a
// copy takes a fraction of the time that running the migrations takes.
// The template's name carries a digest of the migration files, so a
// changed schema gets a new template and no test sees an old one; it is
// kept between runs (and shared by test binaries running at the same
// time), made once under an advisory lock, and only connected to while it
// is made, under another name: PostgreSQL copies only a database nobody is
// connected to.
var migratedTemplate once[string]

// templateLock is the advisory lock key that serialises making templates.
const templateLock = 0x63617264666c6f77 // "cardflow"

func makeTemplate() (string, func(), error) {
	digest, err := migrationsDigest()
	if err != nil {
		return "", nil, err
	}
	name := "cardflow_template_" + digest
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := sql.Open("postgres", PostgresURL())
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("connect to PostgreSQL at %s (is it running?): %w", PostgresURL(), err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLock); err != nil {
		return "", nil, err
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", templateLock) }()
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", nil, err
	}
	if exists {
		return name, nil, nil
	}
	building := name + "_" + randomHex(4)
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+building); err != nil {
		return "", nil, fmt.Errorf("create the template database: %w", err)
	}
	if err := migrateDatabase(ctx, building); err != nil {
		_, _ = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
		return "", nil, err
	}
	if _, err := conn.ExecContext(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", nil, fmt.Errorf("name the template database: %w", err)
	}
	return name, nil, nil
}

// migrateDatabase runs the migrations in the named database and closes
// every connection to it.
func migrateDatabase(ctx context.Context, name string) error {
	u, err := databaseURL(name)
	if err != nil {
		return err
	}
	db, err := sql.Open("postgres", u)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := schema.Migrate(ctx, db); err != nil {
		return fmt.Errorf("migrate the template database: %w", err)
	}
	return nil
}

// migrationsDigest is a short digest of the migration files' names and
// contents.
func migrationsDigest() (string, error) {
	files, err := filepath.Glob(filepath.Join(Root(), "schema", "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		return "", fmt.Errorf("no migrations under %s: %v", filepath.Join(Root(), "schema", "migrations"), err)
	}
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}
