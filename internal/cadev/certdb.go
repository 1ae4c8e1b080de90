package cadev

import (
	"context"
	"database/sql"
	_ "embed"
	"fmt"
	"net/url"
	"strings"

	"github.com/lib/pq"
)

// CertDBSchema is the certificate store's schema (certdb.sql): CFSSL's
// tables and the trigger that makes a permanent revocation final.
//
//go:embed certdb.sql
var CertDBSchema string

// EnsureCertDB creates the certificate store's database when it is missing
// (through the server's postgres database) and applies CertDBSchema, which
// is idempotent.
func EnsureCertDB(ctx context.Context, dbURL string) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("certdb URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return fmt.Errorf("certdb URL %q names no database", dbURL)
	}
	admin := *u
	admin.Path = "/postgres"
	if err := withDB(ctx, admin.String(), func(db *sql.DB) error {
		var ok bool
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
			return fmt.Errorf("certdb: is PostgreSQL running? %w", err)
		}
		if ok {
			return nil
		}
		_, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
		if e, is := err.(*pq.Error); is && e.Code == "42P04" { // made meanwhile
			return nil
		}
		return err
	}); err != nil {
		return err
	}
	return withDB(ctx, dbURL, func(db *sql.DB) error {
		if _, err := db.ExecContext(ctx, CertDBSchema); err != nil {
			return fmt.Errorf("certdb schema: %w", err)
		}
		return nil
	})
}

func withDB(ctx context.Context, dbURL string, f func(*sql.DB) error) error {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return f(db)
}
