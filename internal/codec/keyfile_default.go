package codec

import (
	"errors"
	"os"
)

// LocalKeyFile is the key file `make up` creates, relative to the repository
// root; the worker and starter run there use it when CARDS_CODEC_KEYS is unset.
const LocalKeyFile = ".run/codec-keys"

// ResolveKeyFile returns the key file to use for the CARDS_CODEC_KEYS
// setting: the setting itself when given; otherwise LocalKeyFile when it
// exists in the working directory, so that the local stack's starter finds
// the worker's key with no setup; otherwise "" (payloads in clear).
func ResolveKeyFile(setting string) string {
	if setting != "" {
		return setting
	}
	if _, err := os.Stat(LocalKeyFile); err == nil || !errors.Is(err, os.ErrNotExist) {
		return LocalKeyFile
	}
	return ""
}
