package codec

import (
	"errors"
	"fmt"
	"os"
)

// LocalKeyFile is the key file `make up` creates, relative to the repository
// root; the worker and starter run there use it when CARDS_CODEC_KEYS is unset.
const LocalKeyFile = ".run/codec-keys"

// Plaintext is the CARDS_CODEC_KEYS value that sends payloads in clear. It is
// the only way to run without a key file, so that names and UPNs reach
// Temporal unencrypted by a choice written down, never because a file is
// missing.
const Plaintext = "none"

// ErrNoKeyFile is why a process that talks to Temporal refuses to start when
// neither CARDS_CODEC_KEYS nor LocalKeyFile gives it keys.
var ErrNoKeyFile = errors.New("no payload key file: set CARDS_CODEC_KEYS (or --codec-keys) to the key file the worker uses " +
	"(`make up` creates " + LocalKeyFile + "; to create one: (umask 077 && echo \"k1 $(head -c 32 /dev/urandom | base64)\" > codec-keys)), " +
	"or set CARDS_CODEC_KEYS=" + Plaintext + " to send names and UPNs to Temporal in clear")

// ResolveKeyFile is the one decision every process that talks to Temporal
// makes about CARDS_CODEC_KEYS: a path names the key file; Plaintext gives ""
// (payloads in clear, asked for); an empty setting gives LocalKeyFile when it
// exists in the working directory, so that the local stack's starter finds
// the worker's key with no setup, and otherwise ErrNoKeyFile.
func ResolveKeyFile(setting string) (string, error) {
	switch setting {
	case Plaintext:
		return "", nil
	case "":
		if _, err := os.Stat(LocalKeyFile); err == nil || !errors.Is(err, os.ErrNotExist) {
			return LocalKeyFile, nil
		}
		return "", ErrNoKeyFile
	}
	return setting, nil
}

// FromSetting returns the codec for a CARDS_CODEC_KEYS setting and the key
// file it read ("" when the setting asked for plaintext): a codec with keys,
// or the pass-through codec of Plaintext, or the error of ResolveKeyFile or
// of a malformed file.
func FromSetting(setting string) (*Codec, string, error) {
	file, err := ResolveKeyFile(setting)
	if err != nil {
		return nil, "", err
	}
	if file == "" {
		c, err := New(nil)
		return c, "", err
	}
	keys, err := LoadKeyFile(file)
	if err != nil {
		return nil, "", err
	}
	c, err := New(keys)
	if err != nil {
		return nil, "", fmt.Errorf("key file %s (CARDS_CODEC_KEYS): %w", file, err)
	}
	return c, file, nil
}
