// Package schema holds cardflow's versioned PostgreSQL migrations, embedded in
// the binary so that the worker that runs the code also carries the schema it
// needs. Migrations run through goose: versioned, transactional, and recorded in
// the database, so running them twice is harmless.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// MigrateCommand is what an operator runs to bring the database up to date; it
// is named in every message about an old schema.
const MigrateCommand = "go run ./worker migrate"

func provider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, sub)
}

// Applied describes one migration that Migrate ran.
type Applied struct {
	Version int64
	Name    string
}

// Migrate applies every pending migration and reports what it ran; with none
// pending it changes nothing. Concurrent runs are serialised by goose's
// session locker, so two workers starting together cannot both migrate.
func Migrate(ctx context.Context, db *sql.DB) ([]Applied, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate database: %w", err)
	}
	applied := make([]Applied, 0, len(results))
	for _, r := range results {
		applied = append(applied, Applied{Version: r.Source.Version, Name: r.Source.Path})
	}
	return applied, nil
}

// Versions returns the database's schema version and the newest one this code knows.
func Versions(ctx context.Context, db *sql.DB) (current, latest int64, err error) {
	p, err := provider(db)
	if err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	if len(sources) > 0 {
		latest = sources[len(sources)-1].Version
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, latest, fmt.Errorf("read schema version: %w", err)
	}
	return current, latest, nil
}

// ErrSchemaOutdated tells the operator which command brings the database up to date.
type ErrSchemaOutdated struct{ Current, Latest int64 }

func (e *ErrSchemaOutdated) Error() string {
	return fmt.Sprintf("database schema is at version %d but this code needs version %d: run `%s` (with the same DATABASE_URL) first", e.Current, e.Latest, MigrateCommand)
}

// CheckCurrent refuses a database whose schema is older than the code.
func CheckCurrent(ctx context.Context, db *sql.DB) error {
	current, latest, err := Versions(ctx, db)
	if err != nil {
		return err
	}
	if current < latest {
		return &ErrSchemaOutdated{Current: current, Latest: latest}
	}
	return nil
}
