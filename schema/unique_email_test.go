package schema_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

// uniqueEmailVersion is the migration that makes e-mail addresses unique.
const uniqueEmailVersion = 8

// A directory in which two users share an address (in different case)
// cannot get the unique index: the migration names the address and both
// users and says what to do, and changes nothing.
func TestUniqueEmailMigrationReportsSharedAddresses(t *testing.T) {
	ctx := context.Background()
	db := testkit.Open(t, testkit.EmptyDatabase(t))
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, uniqueEmailVersion-1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO users (id, email, state) VALUES
		('carol', 'Carol@Example.org', 'active'), ('carol2', 'carol@example.org', 'inactive'),
		('dan', 'dan@example.org', 'active'), ('nomail1', '', 'active'), ('nomail2', '', 'active')`); err != nil {
		t.Fatal(err)
	}
	_, err = schema.Migrate(ctx, db)
	if err == nil {
		t.Fatal("migrate succeeded over a shared address")
	}
	for _, want := range []string{"carol@example.org held by carol (Carol@Example.org), carol2 (carol@example.org)", "worker migrate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	for _, unwanted := range []string{"dan", "nomail"} {
		if strings.Contains(err.Error(), unwanted) {
			t.Errorf("error names %s, who shares nothing:\n%v", unwanted, err)
		}
	}
	t.Logf("the report: %v", err)
	if current, _, err := schema.Versions(ctx, db); err != nil || current != uniqueEmailVersion-1 {
		t.Fatalf("schema version %d (%v), want it left at %d", current, err, uniqueEmailVersion-1)
	}

	// Once resolved, the migration runs, and the index refuses a new twin.
	if _, err := db.Exec(`UPDATE users SET email = 'carol.two@example.org' WHERE id = 'carol2'`); err != nil {
		t.Fatal(err)
	}
	if _, err := schema.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if got := constraint(t, db, `INSERT INTO users (id, email, state) VALUES ('eve', 'DAN@example.org', 'active')`); got != "users_email_unique" {
		t.Fatalf("a second dan@example.org: %q, want the unique index to refuse it", got)
	}
	if got := constraint(t, db, `INSERT INTO users (id, email, state) VALUES ('nomail3', '', 'active')`); got != "" {
		t.Fatalf("a third user without an address refused: %s", got)
	}
}
