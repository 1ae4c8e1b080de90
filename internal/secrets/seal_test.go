package secrets

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func keyLine(id string, b byte) string {
	return id + " " + base64.StdEncoding.EncodeToString(bytesOf(b, 32)) + "\n"
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func parse(t *testing.T, text string) *Keys {
	t.Helper()
	k, err := ParseKeys("test-keys", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealedSecretsOpenForTheirCardOnly(t *testing.T) {
	keys := parse(t, keyLine("s1", 1))
	pin, _ := NewPIN(0)
	puk, _ := NewPUK()
	sealedPIN, err := keys.SealPIN("card-a", pin)
	if err != nil {
		t.Fatal(err)
	}
	sealedPUK, err := keys.SealPUK("card-a", puk)
	if err != nil {
		t.Fatal(err)
	}
	if sealedPIN.KeyID != "s1" {
		t.Errorf("sealed with %q, want s1", sealedPIN.KeyID)
	}
	if got, err := keys.OpenPIN("card-a", sealedPIN); err != nil || got.Reveal() != pin.Reveal() {
		t.Errorf("OpenPIN = %v, want the sealed PIN", err)
	}
	if got, err := keys.OpenPUK("card-a", sealedPUK); err != nil || got.Reveal() != puk.Reveal() {
		t.Errorf("OpenPUK = %v, want the sealed PUK", err)
	}
	if _, err := keys.OpenPIN("card-b", sealedPIN); err == nil || !strings.Contains(err.Error(), "card-b") {
		t.Errorf("card A's PIN opened for card B (error %v)", err)
	}
	if _, err := keys.OpenPIN("card-a", sealedPUK); err == nil {
		t.Error("card A's PUK opened as its PIN")
	}
	tampered := Sealed{KeyID: sealedPIN.KeyID, Box: append([]byte(nil), sealedPIN.Box...)}
	tampered.Box[len(tampered.Box)-1] ^= 1
	if _, err := keys.OpenPIN("card-a", tampered); err == nil {
		t.Error("an altered box opened")
	}
	again, _ := keys.SealPIN("card-a", pin)
	if string(again.Box) == string(sealedPIN.Box) {
		t.Error("sealing twice gave the same box: the nonce is not fresh")
	}
	if _, err := keys.SealPIN("", pin); err == nil {
		t.Error("sealed a PIN bound to no card")
	}
	if _, err := keys.SealPIN("card-a", PIN{}); err == nil {
		t.Error("sealed an empty PIN")
	}
}

// The first key that is not decrypt-only seals; every key opens, so a new
// key can take over while secrets sealed under the old one still open.
func TestKeyRotation(t *testing.T) {
	old := parse(t, keyLine("s1", 1))
	pin, _ := NewPIN(4)
	sealedOld, _ := old.SealPIN("card-a", pin)
	rotated := parse(t, keyLine("s2", 2)+keyLine("s1", 1))
	sealedNew, _ := rotated.SealPIN("card-a", pin)
	if sealedNew.KeyID != "s2" {
		t.Errorf("after rotation sealed with %q, want s2", sealedNew.KeyID)
	}
	if got, err := rotated.OpenPIN("card-a", sealedOld); err != nil || got.Reveal() != pin.Reveal() {
		t.Errorf("the old key's PIN does not open after rotation: %v", err)
	}
	if _, err := old.OpenPIN("card-a", sealedNew); err == nil || !strings.Contains(err.Error(), `"s2"`) || !strings.Contains(err.Error(), KeysEnv) {
		t.Errorf("opening under a missing key: %v, want an error naming s2 and %s", err, KeysEnv)
	}
	staged := parse(t, strings.TrimSuffix(keyLine("s3", 3), "\n")+" decrypt-only\n"+keyLine("s2", 2))
	if s, _ := staged.SealPIN("card-a", pin); s.KeyID != "s2" {
		t.Errorf("a decrypt-only key sealed (%q)", s.KeyID)
	}
}

func TestSealedNeverShowsPlaintextOrBox(t *testing.T) {
	keys := parse(t, keyLine("s1", 1))
	pin := PIN{"975310"}
	sealed, _ := keys.SealPIN("card-a", pin)
	j, err := json.Marshal(map[string]any{"sealed": sealed, "ptr": &sealed})
	if err != nil {
		t.Fatal(err)
	}
	box := base64.StdEncoding.EncodeToString(sealed.Box)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", sealed, sealed, sealed, &sealed), string(j)} {
		if strings.Contains(out, "975310") || strings.Contains(out, box[:12]) || strings.Contains(out, fmt.Sprint(sealed.Box[:4])[1:8]) {
			t.Errorf("%q shows the secret or its box", out)
		}
		if !strings.Contains(out, "s1") {
			t.Errorf("%q does not name the key", out)
		}
	}
}

// A malformed key file is refused naming its line and CARDS_SECRET_KEYS.
func TestMalformedKeyFilesAreRefusedNamingTheLine(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"# keys\n" + keyLine("s1", 1) + "s2 notbase64!\n", "line 3"},
		{keyLine("s1", 1) + "s2 " + base64.StdEncoding.EncodeToString(bytesOf(2, 16)) + "\n", "line 2: key \"s2\" is 16 bytes"},
		{keyLine("s1", 1) + keyLine("s1", 2), "line 2: duplicate key id"},
		{"\n", "no keys"},
	} {
		_, err := ParseKeys("/etc/secret-keys", strings.NewReader(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "(CARDS_SECRET_KEYS)") || strings.Contains(err.Error(), "CODEC") {
			t.Errorf("%q: error %v, want one naming %q and CARDS_SECRET_KEYS", tc.text, err, tc.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "secret-keys")
	if _, err := LoadKeys(missing); err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), KeysEnv) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(missing, []byte(keyLine("s1", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeys(missing); err != nil {
		t.Errorf("a good key file: %v", err)
	}
}
