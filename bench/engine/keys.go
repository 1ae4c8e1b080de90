package engine

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cardflow/cardflow/internal/codec"
)

// codecKeys returns the key file cardflow's worker and client encrypt with
// (codec.Plaintext with -encrypt=false), and the id of the key that
// encrypts, for the header. Without -codec-keys the bench writes a temporary
// file with one fresh key (removed by cleanup), so that "everything on" needs
// no setup; a given file is checked with the worker's own loader, so that a
// bad one stops the run before anything starts.
func codecKeys(cfg Config) (path, keyID string, cleanup func(), err error) {
	cleanup = func() {}
	if !cfg.Encrypt {
		return codec.Plaintext, "", cleanup, nil
	}
	path = cfg.CodecKeys
	if path == "" {
		dir, err := os.MkdirTemp("", "cardflow-bench-keys-")
		if err != nil {
			return "", "", cleanup, err
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
		path = filepath.Join(dir, "codec-keys")
		if err := os.WriteFile(path, []byte(newKeyLine()), 0o600); err != nil {
			cleanup()
			return "", "", func() {}, err
		}
	}
	c, err := codec.Load(path)
	if err != nil {
		cleanup()
		return "", "", func() {}, err
	}
	return path, c.EncryptKeyID(), cleanup, nil
}

// newKeyLine is one key file line, `<key-id> <base64 of 32 bytes>`, with a
// random id so that two runs' histories are never confused.
func newKeyLine() string {
	secret := make([]byte, codec.KeySize)
	_, _ = rand.Read(secret)
	id := make([]byte, 3)
	_, _ = rand.Read(id)
	return fmt.Sprintf("bench-%s %s\n", hex.EncodeToString(id), base64.StdEncoding.EncodeToString(secret))
}
