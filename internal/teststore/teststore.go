// Package teststore gives a test a store over its own fresh, migrated
// PostgreSQL database with the directory people it needs, so that tests do
// not each repeat the open, close and seed steps. (It is a package of its
// own because internal/store's tests use internal/testdb.)
package teststore

import (
	"context"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testdb"
)

// New creates a migrated database (dropped when the test ends), opens a
// small pool on it (closed when the test ends), and adds people to the
// directory with their roles. It returns the store and the database URL,
// which a worker or a starter under test connects to.
func New(t testing.TB, people ...cards.User) (*store.Store, string) {
	t.Helper()
	url := testdb.New(t)
	st, err := store.Open(context.Background(), url, store.PoolOptions{MaxOpen: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, u := range people {
		if err := st.UpsertUserWithRoles(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	return st, url
}
