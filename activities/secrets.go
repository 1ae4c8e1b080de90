package activities

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/cardflow/cardflow/internal/secrets"
	"github.com/cardflow/cardflow/internal/store"
)

// ErrSecretsUnavailable is the error type of a card secret that cannot be
// made, opened or found (no CARDS_SECRET_KEYS, a key no longer in the file,
// a PIN already gone): retrying the activity would not help; the operator
// fixes the configuration, or orders a new PIN.
const ErrSecretsUnavailable = "SecretsUnavailable"

// errNoSecretKeys is the refusal when the worker has no secret keys.
func errNoSecretKeys(cardID string) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
		"%s is not set: the worker has no keys to seal or open the PIN and PUK of card %s; point it at a key file in the format of CARDS_CODEC_KEYS, with keys of its own (`make up` creates .run/secret-keys), and restart the worker",
		secrets.KeysEnv, cardID), ErrSecretsUnavailable, nil)
}

// ensureSecrets gives the card a PIN of pinLength digits (0: the default)
// and a PUK, from the cryptographic random source, sealed in card_secrets;
// a card that has its secrets (a retry, a repeated production) keeps them,
// so the PIN the holder is told is the one the card got first. The secrets
// never leave this function but sealed.
func (a *Activities) ensureSecrets(ctx context.Context, cardID string, pinLength int) error {
	if a.Secrets == nil {
		return errNoSecretKeys(cardID)
	}
	// The PUK stays for the card's life, so it marks secrets made: a card
	// whose PIN was delivered and deleted gets no second one.
	if _, found, err := a.Store.SealedSecret(ctx, cardID, store.SecretPUK); err != nil || found {
		return err
	}
	newPIN := a.newPIN
	if newPIN == nil {
		newPIN = secrets.NewPIN
	}
	pin, err := newPIN(pinLength)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("PIN of card %s: %v (production.pinLength)", cardID, err), ErrSecretsUnavailable, nil)
	}
	puk, err := secrets.NewPUK()
	if err != nil {
		return fmt.Errorf("PUK of card %s: %w", cardID, err)
	}
	sealedPIN, err := a.Secrets.SealPIN(cardID, pin)
	if err != nil {
		return err
	}
	sealedPUK, err := a.Secrets.SealPUK(cardID, puk)
	if err != nil {
		return err
	}
	_, err = a.Store.SaveSecrets(ctx, cardID, sealedPIN, sealedPUK)
	return err
}

// PlantPIN makes a's ensureSecrets take its PINs from newPIN, so that a
// test knows the PIN it then looks for in every table, file and log line.
// (A function, not a method: every exported method of Activities is
// registered as an activity.)
func PlantPIN(a *Activities, newPIN func(length int) (secrets.PIN, error)) { a.newPIN = newPIN }
