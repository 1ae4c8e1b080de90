package cfssl

import (
	"errors"
	"testing"

	"github.com/cardflow/cardflow/internal/ca"
)

// CFSSL's refusals map to the port's kinds: what a retry may change stays
// a plain error, what it cannot is permanent.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		status, code int
		msg          string
		want         string // retry, permanent, notfound, duplicate
	}{
		{502, 0, "bad gateway", "retry"},
		{500, 0, "no certificate found", "retry"},
		{400, 11000, `pq: duplicate key value violates unique constraint "certificates_pkey"`, "duplicate"},
		{400, 11000, "pq: certificate 12 is permanently revoked (reason 5)", "permanent"},
		{400, 11000, "dial tcp 127.0.0.1:5432: connect: connection refused", "retry"},
		{400, 11200, "failed to revoke the certificate: certificate not found", "notfound"},
		{400, 9002, "CSR decode failed", "permanent"},
		{400, 5400, "Unknown policy profile", "permanent"},
		{404, 0, "404 page not found", "permanent"},
	} {
		err := classify(&apiError{Path: "x", Status: c.status, Code: c.code, Message: c.msg})
		var got string
		switch {
		case errors.Is(err, errDuplicate):
			got = "duplicate"
		case errors.Is(err, ca.ErrNotFound):
			got = "notfound"
		case ca.IsPermanent(err):
			got = "permanent"
		default:
			got = "retry"
		}
		if got != c.want {
			t.Errorf("HTTP %d code %d %q: %s (%v), want %s", c.status, c.code, c.msg, got, err, c.want)
		}
	}
}
