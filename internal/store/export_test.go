package store

import "testing"

// The store's tests are an external package (store_test) because they use
// internal/testkit, which imports this package; these are the internals
// they check.
var (
	EncodeCursor       = encodeCursor
	EncodeExpiryCursor = encodeExpiryCursor
	CardPageQuery      = cardPageQuery
	ClaimOutboxSQL     = claimOutboxSQL
	AssignCardNumber   = assignCardNumber
)

// Count runs a count query, failing the test if it fails.
func (s *Store) Count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}
