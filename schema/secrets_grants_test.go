package schema_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
	"github.com/cardflow/cardflow/schema"
)

// The granted role runs the store's secret and PIN delivery statements,
// and may neither change a sealed secret in place nor rewrite or erase a
// delivery record.
func TestGrantedRoleKeepsCardSecretsAndPINDeliveries(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.Database(t)
	role, roleURL := testkit.Role(t, ownerURL)
	if err := schema.Grant(ctx, testkit.Open(t, ownerURL), role); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, roleURL, store.PoolOptions{MaxOpen: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.UpsertUserWithRoles(ctx, cards.User{ID: "u1", State: "active"}); err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	if _, _, err := st.InsertCard(ctx, store.Card{ID: id, UserID: "u1", CardType: "standard", CommonName: "cn", UPN: "upn",
		State: cards.StateApproved, RequestedBy: "u1", WorkflowID: "wf"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	box := secrets.Sealed{KeyID: "k1", Box: []byte("box")}
	if saved, err := st.SaveSecrets(ctx, id, box, box); err != nil || !saved {
		t.Fatalf("save secrets as %s: %v, %v", role, saved, err)
	}
	if _, found, err := st.SealedSecret(ctx, id, store.SecretPIN); err != nil || !found {
		t.Fatalf("read the PIN as %s: %v, %v", role, found, err)
	}
	if _, _, err := st.RecordPINDelivery(ctx, store.PINDelivery{CardID: id, Method: "none", DeliveredAt: time.Now()}); err != nil {
		t.Fatalf("record the delivery as %s: %v", role, err)
	}
	if _, found, err := st.PINDelivery(ctx, id); err != nil || !found {
		t.Fatalf("read the delivery as %s: %v, %v", role, found, err)
	}
	if err := st.DeletePIN(ctx, id); err != nil {
		t.Fatalf("delete the PIN as %s: %v", role, err)
	}
	for _, stmt := range []string{`UPDATE card_secrets SET box = 'x'`, `UPDATE pin_deliveries SET location = 'x'`, `DELETE FROM pin_deliveries`, `TRUNCATE card_secrets`} {
		_, err := st.DB.Exec(stmt)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
			t.Errorf("as %s: %s: err = %v, want permission denied (42501)", role, stmt, err)
		}
	}
}
