package testkit

import (
	"context"
	"testing"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/store"
)

// Store creates a test database (Database), opens a small pool on it
// (closed when the test ends), and adds people to the directory with their
// roles, so that tests do not each repeat the open, close and seed steps.
// It returns the store and the database URL, which a worker or a starter
// under test connects to.
func Store(t testing.TB, people ...cards.User) (*store.Store, string) {
	t.Helper()
	url := Database(t)
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
