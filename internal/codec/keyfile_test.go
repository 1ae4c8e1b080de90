package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileFirstLineEncryptsAllDecrypt(t *testing.T) {
	text := "# cardflow payload keys\n\n2026-11 " + b64(32) + "\n   \n# retired, kept for old histories\n2025-01 " + b64(32) + "\n"
	keys, err := ParseKeyFile("keys", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	c := mustCodec(t, keys...)
	if c.EncryptKeyID() != "2026-11" || strings.Join(c.KeyIDs(), ",") != "2026-11,2025-01" {
		t.Fatalf("encrypt %q, keys %v", c.EncryptKeyID(), c.KeyIDs())
	}
}

func TestMalformedKeyFilesNameTheLine(t *testing.T) {
	good := "k1 " + b64(32) + "\n"
	for name, tc := range map[string]struct {
		text string
		line int
		want string
	}{
		"missing id":      {"# keys\n" + b64(32) + "\n", 2, "missing key id"},
		"missing key":     {good + "k2\n", 2, `missing key after key id "k2"`},
		"bad base64":      {good + "\nk2 not*base64!\n", 3, `key "k2" is not valid base64`},
		"wrong length":    {"k1 " + b64(16) + "\n", 1, `key "k1" is 16 bytes, want 32`},
		"duplicate id":    {good + "k2 " + b64(32) + "\nk1 " + b64(32) + "\n", 3, `duplicate key id "k1" (already on line 1)`},
		"too many fields": {"k 1 " + b64(32) + "\n", 1, "3 fields, want 2"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeyFile("/etc/cardflow/keys", strings.NewReader(tc.text))
			var kfe *KeyFileError
			if !errors.As(err, &kfe) || kfe.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want line %d and %q", err, tc.line, tc.want)
			}
			if !strings.Contains(err.Error(), "/etc/cardflow/keys") || !strings.Contains(err.Error(), "line ") {
				t.Fatalf("err = %v, want the path and the line", err)
			}
		})
	}
}

func TestEmptyKeyFileIsRefused(t *testing.T) {
	_, err := ParseKeyFile("keys", strings.NewReader("# nothing yet\n\n"))
	if err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingKeyFileSaysHowToCreateOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent")
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadReadsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("only "+b64(32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || c.EncryptKeyID() != "only" {
		t.Fatalf("codec %v, err %v", c, err)
	}
}

// A refused key file names the file, the line and the key id, never the key
// itself: the message reaches logs and terminals. Each malformed line below
// plants a recognisable secret and the message must not carry it.
func TestKeyFileErrorsNeverShowTheKey(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("S"), KeySize))
	short := base64.StdEncoding.EncodeToString([]byte("PLANTEDSECRET"))
	for _, line := range []string{
		"k1 PLANTEDSECRET!!",             // not base64
		"k1 " + short,                    // too short
		"k1 " + good + " decrypt_only",   // unknown marker
		"k1 " + good + " decrypt-only x", // too many fields
	} {
		path := filepath.Join(t.TempDir(), "keys")
		if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyFile(path)
		if err == nil {
			t.Fatalf("%q: accepted", line)
		}
		for _, secret := range []string{"PLANTEDSECRET", short, good} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%q: the message shows the key: %v", line, err)
			}
		}
	}
}
