// Package cadev sets up and runs the local certificate authority that
// stands in for a real one in development and tests: CFSSL v1.6.5
// (bin/cfssl, built by scripts/lib.sh's ensure_cfssl) with its certificate
// store in PostgreSQL. One copy of the setup serves both scripts/ca.sh
// (through cmd/cadev) and testkit.CA, so the CA a developer starts and the
// one the tests start are the same: same profiles, same schema, same
// trigger.
package cadev

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Options say where the local CA keeps its material and where it listens.
type Options struct {
	// Bin is the cfssl binary.
	Bin string
	// Dir holds the material (ca.pem, ca-key.pem, ocsp.pem, ocsp-key.pem,
	// ca-config.json, certdb.json); keys are made once and kept.
	Dir string
	// URL is where `cfssl serve` listens (http://127.0.0.1:8888), OCSPURL
	// where `cfssl ocspserve` does (http://127.0.0.1:8889).
	URL, OCSPURL string
	// DBURL is the certificate store's PostgreSQL database; Prepare
	// creates it when missing.
	DBURL string
}

// Prepare makes everything the two servers need and that is missing: the
// CA and OCSP responder material, ca-config.json and certdb.json (rewritten
// each time: they carry the URLs), the database and its schema. It is
// idempotent and quick once done.
func Prepare(ctx context.Context, o Options) error {
	if _, err := os.Stat(o.Bin); err != nil {
		return fmt.Errorf("no cfssl at %s: build it with `bash -c 'source scripts/lib.sh && ensure_cfssl'`", o.Bin)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return err
	}
	if err := writeConfigs(o); err != nil {
		return err
	}
	if err := makeMaterial(ctx, o); err != nil {
		return err
	}
	return EnsureCertDB(ctx, o.DBURL)
}

// hostPort is the host:port of an http URL.
func hostPort(raw string) (host, port string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" || u.Port() == "" {
		return "", "", fmt.Errorf("CA URL %q: want http://host:port", raw)
	}
	return u.Hostname(), u.Port(), nil
}

func (o Options) path(name string) string { return filepath.Join(o.Dir, name) }
