package codec

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolveKeyFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if got := ResolveKeyFile(""); got != "" {
		t.Fatalf("no setting, no local file: %q, want none", got)
	}
	if got := ResolveKeyFile("/etc/cardflow/keys"); got != "/etc/cardflow/keys" {
		t.Fatalf("explicit setting: %q", got)
	}
	if err := os.MkdirAll(filepath.Dir(LocalKeyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(LocalKeyFile, []byte("k "+b64(32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := ResolveKeyFile(""); got != LocalKeyFile {
		t.Fatalf("make up's file present: %q, want %q", got, LocalKeyFile)
	}
	if got := ResolveKeyFile("/etc/cardflow/keys"); got != "/etc/cardflow/keys" {
		t.Fatalf("the setting wins over the local file: %q", got)
	}
}
