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
}

// KeyFileError names the file and line of a malformed key file, so that the
// operator can fix it without guessing; Line is 0 for a problem with the file
// as a whole.
type KeyFileError struct {
	Path    string
	Line    int
	Problem string
}

func (e *KeyFileError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("key file %s (CARDS_CODEC_KEYS): %s", e.Path, e.Problem)
	}
	return fmt.Sprintf("key file %s (CARDS_CODEC_KEYS) line %d: %s", e.Path, e.Line, e.Problem)
}

// LoadKeyFile reads the key file at path. The first key encrypts; every key
// decrypts, which is what lets an operator rotate keys without losing the
// histories written under the old ones.
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

// ParseKeyFile parses key lines `<key-id> <base64 of 32 bytes>`; blank lines
// and lines starting with # are skipped. path only names the source in errors.
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
	return keys, nil
}

// parseKeyLine returns the key on a non-blank line, or what is wrong with it.
func parseKeyLine(line string) (Key, string) {
	fields := strings.Fields(line)
	switch {
	case len(fields) == 1:
		if secret, err := base64.StdEncoding.DecodeString(fields[0]); err == nil && len(secret) == KeySize {
			return Key{}, "missing key id: write `<key-id> <base64 of 32 bytes>`, the id first"
		}
		return Key{}, fmt.Sprintf("missing key after key id %q: write `<key-id> <base64 of 32 bytes>`", fields[0])
	case len(fields) > 2:
		return Key{}, fmt.Sprintf("%d fields, want 2: `<key-id> <base64 of 32 bytes>` (a key id cannot contain spaces)", len(fields))
	}
	id, encoded := fields[0], fields[1]
	secret, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return Key{}, fmt.Sprintf("key %q is not valid base64 (%v); generate one with `head -c 32 /dev/urandom | base64`", id, err)
	}
	if len(secret) != KeySize {
		return Key{}, fmt.Sprintf("key %q is %d bytes, want %d (AES-256); generate one with `head -c 32 /dev/urandom | base64`", id, len(secret), KeySize)
	}
	return Key{ID: id, Secret: secret}, ""
}
