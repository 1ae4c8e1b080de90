// Package store is cardflow's PostgreSQL access: every SQL statement lives
// here, so that activities speak Temporal and the store speaks SQL.
package store

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
)

// Store wraps the connection pool.
type Store struct {
	DB *sqlx.DB

	// writes and reads count committed write transactions and single-
	// statement reads, so that "one transaction per state change" can be
	// measured, not assumed.
	writes, reads atomic.Int64

	// statements are the hot statements, prepared (prepared.go).
	statements preparedStatements
}

// Counts returns the committed write transactions and the reads so far.
func (s *Store) Counts() (writes, reads int64) { return s.writes.Load(), s.reads.Load() }

// PoolOptions size the connection pool. The defaults suit one worker with the
// SDK's default activity slots on a small machine.
type PoolOptions struct {
	MaxOpen int
	MaxIdle int
}

// Open connects to databaseURL and checks that PostgreSQL answers, so that a
// wrong URL fails at start with a message that names the database, not later
// inside an activity retry loop.
func Open(ctx context.Context, databaseURL string, pool PoolOptions) (*Store, error) {
	db, err := sqlx.Open("postgres", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: invalid DATABASE_URL %s: %w", Redact(databaseURL), err)
	}
	if pool.MaxOpen == 0 {
		pool.MaxOpen = 20
	}
	if pool.MaxIdle == 0 {
		pool.MaxIdle = pool.MaxOpen
	}
	db.SetMaxOpenConns(pool.MaxOpen)
	db.SetMaxIdleConns(pool.MaxIdle)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("PostgreSQL unreachable at %s: %w (check DATABASE_URL and that the server is running)", Redact(databaseURL), err)
	}
	return &Store{DB: db}, nil
}

// Close releases the pool.
func (s *Store) Close() error {
	s.closeStatements()
	return s.DB.Close()
}

// Redact hides the password in a database URL, for messages and logs.
func Redact(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil || u.User == nil {
		return databaseURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
