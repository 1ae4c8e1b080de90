package workerapp

import (
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/cardflow/cardflow/activities"
	"github.com/cardflow/cardflow/internal/ca"
	"github.com/cardflow/cardflow/internal/ca/cfssl"
	"github.com/cardflow/cardflow/internal/pinletter"
	"github.com/cardflow/cardflow/internal/policy"
	"github.com/cardflow/cardflow/internal/secrets"
)

// Production is what Issue card needs on the worker's side: the keys that
// seal PINs and PUKs, the CA, and where PIN letters go. It is checked at
// start when the policy enables issueCard, so that a missing key file
// stops the worker rather than the first production.
type Production struct {
	// SecretKeys is CARDS_SECRET_KEYS: the key file that seals PINs and
	// PUKs (the codec key-file format, keys of their own).
	SecretKeys string
	// PINLetterDir is CARDS_PIN_LETTER_DIR; empty means pinletter.DefaultDir.
	PINLetterDir string
	// CA is the CFSSL adapter's settings (CARDS_CA_URL, CARDS_CA_OCSP_URL,
	// CARDS_CA_DIR, CARDS_CA_DB_URL).
	CA cfssl.Config
	// Authority, when set, is used instead of a CFSSL adapter built from CA.
	Authority ca.Authority
}

// errNoSecretKeys names the setting an Issue-card worker cannot run without.
var errNoSecretKeys = errors.New("useCases.issueCard is on but CARDS_SECRET_KEYS is not set: give the worker a key file of its own for sealing PINs and PUKs (`<key-id> <base64 of 32 bytes>` lines, like CARDS_CODEC_KEYS; make up creates .run/secret-keys)")

// setUpProduction gives the activities what Issue card needs, or does
// nothing when the policy does not enable it. The returned function
// closes what it opened.
func setUpProduction(cfg Production, pol *policy.Policy, mailOn bool, acts *activities.Activities, log *zap.Logger) (func(), error) {
	if !pol.UseCases.IssueCard {
		return func() {}, nil
	}
	if !mailOn {
		for _, name := range pol.CardTypeNames() {
			if p, err := pol.ResolveProduction(name); err == nil && p.PINDelivery == activities.PINByEmail {
				return nil, fmt.Errorf("cardTypes.%s.production.pinDelivery is email but e-mail is off: set CARDS_SMTP_URL and CARDS_MAIL_FROM, or deliver PINs by letter", name)
			}
		}
	}
	if cfg.SecretKeys == "" {
		return nil, errNoSecretKeys
	}
	keys, err := secrets.LoadKeys(cfg.SecretKeys)
	if err != nil {
		return nil, err
	}
	acts.Secrets = keys
	acts.PINLetterDir = cfg.PINLetterDir
	if acts.PINLetterDir == "" {
		acts.PINLetterDir = pinletter.DefaultDir
	}
	if cfg.Authority != nil {
		acts.CA = cfg.Authority
		return func() {}, nil
	}
	authority, err := cfssl.New(cfg.CA)
	if err != nil {
		return nil, fmt.Errorf("the CA (CARDS_CA_DIR, CARDS_CA_URL): %w", err)
	}
	acts.CA = authority
	log.Info("Issue card is on", zap.String("ca", cfg.CA.URL), zap.String("ocsp", cfg.CA.OCSPURL),
		zap.String("pinLetters", acts.PINLetterDir))
	return func() { _ = authority.Close() }, nil
}
