package cadev_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cardflow/cardflow/internal/cadev"
	"github.com/cardflow/cardflow/internal/testkit"
)

// Prepare is what scripts/ca.sh runs on every start: a second run keeps
// the CA's keys and applies the schema again without harm.
func TestPrepareTwice(t *testing.T) {
	o := cadev.Options{Bin: testkit.Bin(t, "cfssl"), Dir: t.TempDir(), URL: "http://127.0.0.1:1",
		OCSPURL: "http://127.0.0.1:2", DBURL: testkit.EmptyDatabase(t)}
	if err := cadev.Prepare(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(filepath.Join(o.Dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cadev.Prepare(context.Background(), o); err != nil {
		t.Fatalf("second Prepare: %v", err)
	}
	for _, f := range []string{"ca.pem", "ocsp.pem", "ocsp-key.pem", "ca-config.json", "certdb.json"} {
		if _, err := os.Stat(filepath.Join(o.Dir, f)); err != nil {
			t.Error(err)
		}
	}
	if again, _ := os.ReadFile(filepath.Join(o.Dir, "ca-key.pem")); !bytes.Equal(first, again) {
		t.Fatal("a second Prepare made a new CA key")
	}
	var triggers int
	db := testkit.Open(t, o.DBURL)
	if err := db.QueryRow(`SELECT count(*) FROM pg_trigger WHERE tgname = 'certificates_revocation_is_final'`).Scan(&triggers); err != nil || triggers != 1 {
		t.Fatalf("finality triggers: %d, %v; want 1", triggers, err)
	}
}
