package codec

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// Key is one AES-256 key and the id that payloads name it by.
type Key struct {
	ID     string
	Secret []byte
	// DecryptOnly keeps the key from encrypting: the first phase of a key
	// rotation hands a new key to every reader before anyone writes with it.
	DecryptOnly bool
}

// DecryptOnlyMarker, as a third field on a key line, makes the key
// decrypt-only. Lines without it read as they always did.
const DecryptOnlyMarker = "decrypt-only"

// KeyFileError names the file and line of a malformed key file, so that the
// operator can fix it without guessing; Line is 0 for a problem with the file
// as a whole.
type KeyFileError struct {
	Path    string
	Line    int
	Problem string
	// Variable is the environment variable that names the file; empty means
	// CARDS_CODEC_KEYS. Other key files in the same format (the card
	// secrets' CARDS_SECRET_KEYS) set it so the message points at theirs.
	Variable string
}

func (e *KeyFileError) Error() string {
	variable := e.Variable
	if variable == "" {
		variable = "CARDS_CODEC_KEYS"
	}
	if e.Line == 0 {
		return fmt.Sprintf("key file %s (%s): %s", e.Path, variable, e.Problem)
	}
	return fmt.Sprintf("key file %s (%s) line %d: %s", e.Path, variable, e.Line, e.Problem)
}

// LoadKeyFile reads the key file at path. The first key not marked
// decrypt-only encrypts; every key decrypts, which is what lets an operator
// rotate keys without losing the histories written under the old ones, and
// (with the marker) hand out a new key before anyone encrypts with it.
func LoadKeyFile(path string) ([]Key, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &KeyFileError{Path: path, Problem: "the file does not exist (create it with a line `<key-id> <base64 of 32 bytes>`, for example: echo \"k1 $(head -c 32 /dev/urandom | base64)\" > " + path + ")"}
	}
	if err != nil {
		return nil, &KeyFileError{Path: path, Problem: err.Error()}
	}
	return ParseKeyFile(path, bytes.NewReader(data))
}

// ParseKeyFile parses key lines `<key-id> <base64 of 32 bytes>`, optionally
// followed by `decrypt-only`; blank lines and lines starting with # are
// skipped. path only names the source in errors.
func ParseKeyFile(path string, r io.Reader) ([]Key, error) {
	var keys []Key
	firstLine := map[string]int{}
	scanner := bufio.NewScanner(r)
	lineNo := 0
	for scanner.Scan() {
		lineNo++
		line := strings.TrimSpace(scanner.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, problem := parseKeyLine(line)
		if problem != "" {
			return nil, &KeyFileError{Path: path, Line: lineNo, Problem: problem}
		}
		if first, dup := firstLine[key.ID]; dup {
			return nil, &KeyFileError{Path: path, Line: lineNo, Problem: fmt.Sprintf("duplicate key id %q (already on line %d); every key needs its own id", key.ID, first)}
		}
		firstLine[key.ID] = lineNo
		keys = append(keys, key)
	}
	if err := scanner.Err(); err != nil {
		return nil, &KeyFileError{Path: path, Line: lineNo + 1, Problem: err.Error()}
	}
	if len(keys) == 0 {
		return nil, &KeyFileError{Path: path, Problem: "no keys: add a line `<key-id> <base64 of 32 bytes>`"}
	}
	if encryptKey(keys) == nil {
		return nil, &KeyFileError{Path: path, Problem: "every key is marked " + DecryptOnlyMarker + ", so none encrypts: remove the marker from the key new payloads should use"}
	}
	return keys, nil
}

// parseKeyLine returns the key on a non-blank line, or what is wrong with it.
func parseKeyLine(line string) (Key, string) {
	fields := strings.Fields(line)
	switch {
	case len(fields) == 1:
		if isKey(fields[0]) {
			return Key{}, "missing key id: write `<key-id> <base64 of 32 bytes>`, the id first"
		}
		return Key{}, fmt.Sprintf("missing key after key id %q: write `<key-id> <base64 of 32 bytes>`", fields[0])
	case len(fields) == 3 && fields[2] != DecryptOnlyMarker && isKey(fields[2]):
		return Key{}, "3 fields, want 2: `<key-id> <base64 of 32 bytes>` (a key id cannot contain spaces)"
	case len(fields) == 3 && fields[2] != DecryptOnlyMarker:
		return Key{}, fmt.Sprintf("unknown marker %q after key %q: the only marker is %s (the key decrypts, never encrypts)", fields[2], fields[0], DecryptOnlyMarker)
	case len(fields) > 3:
		return Key{}, fmt.Sprintf("%d fields, want 2 or 3: `<key-id> <base64 of 32 bytes> [%s]` (a key id cannot contain spaces)", len(fields), DecryptOnlyMarker)
	}
	id, encoded := fields[0], fields[1]
	secret, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return Key{}, fmt.Sprintf("key %q is not valid base64 (%v); generate one with `head -c 32 /dev/urandom | base64`", id, err)
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Sprintf("key %q is %d bytes, want %d (AES-256); generate one with `head -c 32 /dev/urandom | base64`", id, len(secret), KeySize)
	}
	return Key{ID: id, Secret: secret, DecryptOnly: len(fields) == 3}, ""
}

// isKey reports whether field is a key (base64 of 32 bytes), to tell a key
// id with spaces from a misspelt marker.
func isKey(field string) bool {
	secret, err := base64.StdEncoding.DecodeString(field)
	return err == nil && len(secret) == KeySize
}

// encryptKey is the key new payloads are encrypted with: the first one not
// marked decrypt-only, or nil when there is none.
func encryptKey(keys []Key) *Key {
	for i := range keys {
		if !keys[i].DecryptOnly {
			return &keys[i]
		}
	}
	return nil
}
