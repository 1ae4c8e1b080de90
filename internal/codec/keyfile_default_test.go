package codec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The one key decision: a setting names the file, "none" asks for clear
// text, and nothing at all finds make up's file or refuses.
func TestResolveKeyFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if got, err := ResolveKeyFile(""); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("no setting, no local file: %q, %v; want ErrNoKeyFile", got, err)
	}
	if got, err := ResolveKeyFile(Plaintext); got != "" || err != nil {
		t.Fatalf("none: %q, %v; want no file and no error", got, err)
	}
	if got, err := ResolveKeyFile("/etc/cardflow/keys"); got != "/etc/cardflow/keys" || err != nil {
		t.Fatalf("explicit setting: %q, %v", got, err)
	}
	if err := os.MkdirAll(filepath.Dir(LocalKeyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(LocalKeyFile, []byte("k "+b64(32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ResolveKeyFile(""); got != LocalKeyFile || err != nil {
		t.Fatalf("make up's file present: %q, %v; want %q", got, err, LocalKeyFile)
	}
	if got, _ := ResolveKeyFile("/etc/cardflow/keys"); got != "/etc/cardflow/keys" {
		t.Fatalf("the setting wins over the local file: %q", got)
	}
	if got, _ := ResolveKeyFile(Plaintext); got != "" {
		t.Fatalf("none wins over the local file: %q", got)
	}
}

// The refusal says what to set and how to get a key file.
func TestNoKeyFileSaysWhatToDo(t *testing.T) {
	for _, want := range []string{"CARDS_CODEC_KEYS", "make up", LocalKeyFile, "head -c 32 /dev/urandom | base64", "CARDS_CODEC_KEYS=none"} {
		if !strings.Contains(ErrNoKeyFile.Error(), want) {
			t.Errorf("message lacks %q: %s", want, ErrNoKeyFile)
		}
	}
}

func TestFromSetting(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, _, err := FromSetting(""); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("missing: %v, want ErrNoKeyFile", err)
	}
	c, file, err := FromSetting(Plaintext)
	if err != nil || file != "" || c.Encrypts() {
		t.Fatalf("none: encrypts %v, file %q, err %v; want the pass-through codec", c != nil && c.Encrypts(), file, err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("k1 "+b64(16)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var keyErr *KeyFileError
	if _, _, err := FromSetting(bad); !errors.As(err, &keyErr) || keyErr.Line != 1 {
		t.Fatalf("malformed: %v, want the file's line 1", err)
	}
	if _, _, err := FromSetting(filepath.Join(dir, "absent")); !errors.As(err, &keyErr) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("a named file that is absent: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(LocalKeyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(LocalKeyFile, []byte("local "+b64(32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, file, err = FromSetting("")
	if err != nil || file != LocalKeyFile || c.EncryptKeyID() != "local" {
		t.Fatalf("default file: key %q, file %q, err %v", c.EncryptKeyID(), file, err)
	}
}
