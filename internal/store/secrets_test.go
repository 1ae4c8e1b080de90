package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cardflow/cardflow/internal/cards"
	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/store"
	"github.com/cardflow/cardflow/internal/testkit"
)

// cardForSecrets is a store with one user and one approved card.
func cardForSecrets(t *testing.T) (*store.Store, string) {
	t.Helper()
	st, _ := testkit.Store(t, cards.User{ID: "carol", GivenName: "Carol", Surname: "Cole", State: "active"})
	id := uuid.NewString()
	if _, err := st.DB.Exec(`INSERT INTO cards (id, user_id, card_type, common_name, upn, state, requested_by, workflow_id)
		VALUES ($1, 'carol', 'standard', 'Carol Cole', 'carol@example.test', 'approved', 'carol', $2)`, id, "card-"+id); err != nil {
		t.Fatal(err)
	}
	return st, id
}

func sealed(key string, box string) secrets.Sealed {
	return secrets.Sealed{KeyID: key, Box: []byte(box)}
}

// The first secrets a card gets are the ones it keeps: a second save (a
// retry, a repeated production) writes nothing, and once the PIN is
// deleted no save brings a new one (the PUK marks the secrets as made).
func TestSecretsAreSavedOnceAndThePINDeletedIdempotently(t *testing.T) {
	ctx := context.Background()
	st, id := cardForSecrets(t)
	if _, found, err := st.SealedSecret(ctx, id, store.SecretPIN); err != nil || found {
		t.Fatalf("a new card has a PIN: %v, %v", found, err)
	}
	saved, err := st.SaveSecrets(ctx, id, sealed("k1", "pin-1"), sealed("k1", "puk-1"))
	if err != nil || !saved {
		t.Fatalf("first save: %v, %v", saved, err)
	}
	if saved, err = st.SaveSecrets(ctx, id, sealed("k2", "pin-2"), sealed("k2", "puk-2")); err != nil || saved {
		t.Fatalf("second save: saved %v, %v; want nothing written", saved, err)
	}
	for kind, want := range map[store.SecretKind]string{store.SecretPIN: "pin-1", store.SecretPUK: "puk-1"} {
		got, found, err := st.SealedSecret(ctx, id, kind)
		if err != nil || !found || got.KeyID != "k1" || !bytes.Equal(got.Box, []byte(want)) {
			t.Errorf("%s: %v %q, %v, %v; want the first one", kind, got, got.Box, found, err)
		}
	}
	for range 2 {
		if err := st.DeletePIN(ctx, id); err != nil {
			t.Fatalf("delete PIN: %v", err)
		}
	}
	if _, found, _ := st.SealedSecret(ctx, id, store.SecretPIN); found {
		t.Error("the PIN is still there after DeletePIN")
	}
	if _, found, _ := st.SealedSecret(ctx, id, store.SecretPUK); !found {
		t.Error("DeletePIN took the PUK too")
	}
	if saved, err = st.SaveSecrets(ctx, id, sealed("k1", "pin-3"), sealed("k1", "puk-3")); err != nil || saved {
		t.Fatalf("save after delivery: saved %v, %v; want no second PIN", saved, err)
	}
	if _, found, _ := st.SealedSecret(ctx, id, store.SecretPIN); found {
		t.Error("a save after the delivery planted a new PIN")
	}
	if _, err := st.SaveSecrets(ctx, id, secrets.Sealed{}, sealed("k1", "x")); err == nil {
		t.Error("saved an empty sealed PIN")
	}
	if _, err := st.SaveSecrets(ctx, uuid.NewString(), sealed("k1", "a"), sealed("k1", "b")); err == nil {
		t.Error("saved the secrets of a card that does not exist")
	}
}

// A PIN delivery is recorded once: a second record keeps the first and
// says so.
func TestPINDeliveryIsRecordedOnce(t *testing.T) {
	ctx := context.Background()
	st, id := cardForSecrets(t)
	if _, found, err := st.PINDelivery(ctx, id); err != nil || found {
		t.Fatalf("undelivered card: %v, %v", found, err)
	}
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	first, created, err := st.RecordPINDelivery(ctx, store.PINDelivery{CardID: id, Method: "letter", Location: "/letters/x.pdf", DeliveredAt: at})
	if err != nil || !created || first.Method != "letter" || !first.DeliveredAt.Equal(at) {
		t.Fatalf("first record: %+v, %v, %v", first, created, err)
	}
	again, created, err := st.RecordPINDelivery(ctx, store.PINDelivery{CardID: id, Method: "email", Location: "e-mail to x", DeliveredAt: at.Add(time.Hour)})
	if err != nil || created || again.Method != "letter" || again.Location != "/letters/x.pdf" {
		t.Fatalf("second record: %+v, %v, %v; want the first kept", again, created, err)
	}
	if _, _, err := st.RecordPINDelivery(ctx, store.PINDelivery{CardID: uuid.NewString(), Method: "post", DeliveredAt: at}); err == nil {
		t.Error("recorded an unknown method for an unknown card")
	}
}

func TestCardNumberIsEmptyUntilAssigned(t *testing.T) {
	ctx := context.Background()
	st, id := cardForSecrets(t)
	if n, err := st.CardNumber(ctx, id); err != nil || n != "" {
		t.Fatalf("before: %q, %v", n, err)
	}
	want, err := st.AssignCardNumber(ctx, id, "C")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.CardNumber(ctx, id); err != nil || n != want {
		t.Fatalf("after: %q, %v; want %s", n, err, want)
	}
	if _, err := st.CardNumber(ctx, uuid.NewString()); !errors.Is(err, store.ErrNoRows) {
		t.Fatalf("unknown card: %v", err)
	}
}
