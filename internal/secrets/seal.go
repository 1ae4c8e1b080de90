package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cardflow/cardflow/internal/codec"
)

// KeysEnv names the key file of the card secrets. It has the format of
// CARDS_CODEC_KEYS (`<key-id> <base64 of 32 bytes>` per line; the first key
// not marked decrypt-only seals, every key opens) but keys of its own.
const KeysEnv = "CARDS_SECRET_KEYS"

// Keys seal and open card secrets.
type Keys struct {
	sealID string                 // the key new secrets are sealed with
	byID   map[string]cipher.AEAD // every key, to open what any of them sealed
}

// LoadKeys reads the key file at path (the value of CARDS_SECRET_KEYS).
// Errors name the file, the line and CARDS_SECRET_KEYS.
func LoadKeys(path string) (*Keys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The codec's loader words a missing file with the command that
		// creates one; let it, then name our variable.
		_, err := codec.LoadKeyFile(path)
		return nil, renameVariable(err)
	}
	return ParseKeys(path, bytes.NewReader(data))
}

// ParseKeys reads key lines from r; path only names the source in errors.
// It reuses the codec's parser, so both key files read alike.
func ParseKeys(path string, r io.Reader) (*Keys, error) {
	keys, err := codec.ParseKeyFile(path, r)
	if err != nil {
		return nil, renameVariable(err)
	}
	k := &Keys{byID: make(map[string]cipher.AEAD, len(keys))}
	for _, key := range keys {
		aead, err := newAEAD(key.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q in %s: %w", key.ID, path, err)
		}
		k.byID[key.ID] = aead
		if k.sealID == "" && !key.DecryptOnly {
			k.sealID = key.ID
		}
	}
	return k, nil
}

// renameVariable makes a key file error name CARDS_SECRET_KEYS.
func renameVariable(err error) error {
	var kf *codec.KeyFileError
	if errors.As(err, &kf) {
		kf.Variable = KeysEnv
	}
	return err
}

// newAEAD is AES-256-GCM with a random 96-bit nonce that Seal puts in front
// of the ciphertext and Open reads back: the standard library draws and
// carries the nonce, so no code here can reuse one.
func newAEAD(secret []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(block)
}

// Sealed is a sealed secret: the id of the key that sealed it and the box
// (nonce, ciphertext and tag). A store keeps both; nothing else should.
type Sealed struct {
	KeyID string
	Box   []byte
}

// String names the key only: a sealed value in a log shows neither
// plaintext nor ciphertext.
func (s Sealed) String() string { return "sealed(key " + s.KeyID + ")" }

// GoString is String, for %#v.
func (s Sealed) GoString() string { return s.String() }

// MarshalJSON names the key only: sealed secrets do not travel in JSON
// (workflow inputs and results land in histories), so one that slips in
// carries nothing to attack offline.
func (s Sealed) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"sealedWithKey":%q}`, s.KeyID)), nil
}

// kind tells the secrets apart in the additional data, so that a sealed PUK
// does not open as a PIN.
type kind string

const (
	kindPIN kind = "pin"
	kindPUK kind = "puk"
)

// additionalData binds a sealed secret to its card and kind: a box copied to
// another card's row, or from the PUK column to the PIN's, fails to open.
func additionalData(k kind, cardID string) []byte {
	return []byte("cardflow card secret v1\x00" + string(k) + "\x00" + cardID)
}

// SealPIN seals the card's PIN under the sealing key.
func (k *Keys) SealPIN(cardID string, p PIN) (Sealed, error) {
	return k.sealDigits(kindPIN, cardID, p.digits)
}

// SealPUK seals the card's PUK under the sealing key.
func (k *Keys) SealPUK(cardID string, p PUK) (Sealed, error) {
	return k.sealDigits(kindPUK, cardID, p.digits)
}

// OpenPIN opens the card's sealed PIN.
func (k *Keys) OpenPIN(cardID string, s Sealed) (PIN, error) {
	d, err := k.open(kindPIN, cardID, s)
	return PIN{d}, err
}

// OpenPUK opens the card's sealed PUK.
func (k *Keys) OpenPUK(cardID string, s Sealed) (PUK, error) {
	d, err := k.open(kindPUK, cardID, s)
	return PUK{d}, err
}

func (k *Keys) sealDigits(kd kind, cardID, digits string) (Sealed, error) {
	if cardID == "" {
		return Sealed{}, fmt.Errorf("seal a %s: no card id to bind it to", kd)
	}
	if digits == "" {
		return Sealed{}, fmt.Errorf("seal the %s of card %s: it is empty (make it with New%s)", kd, cardID, map[kind]string{kindPIN: "PIN", kindPUK: "PUK"}[kd])
	}
	box := k.byID[k.sealID].Seal(nil, nil, []byte(digits), additionalData(kd, cardID))
	return Sealed{KeyID: k.sealID, Box: box}, nil
}

func (k *Keys) open(kd kind, cardID string, s Sealed) (string, error) {
	aead, ok := k.byID[s.KeyID]
	if !ok {
		return "", fmt.Errorf("open the %s of card %s: it was sealed with key %q, which %s does not hold (add it back, marked decrypt-only)", kd, cardID, s.KeyID, KeysEnv)
	}
	plain, err := aead.Open(nil, nil, s.Box, additionalData(kd, cardID))
	if err != nil {
		return "", fmt.Errorf("open the %s of card %s: it does not open under key %q (sealed for another card or secret, or altered)", kd, cardID, s.KeyID)
	}
	return string(plain), nil
}
