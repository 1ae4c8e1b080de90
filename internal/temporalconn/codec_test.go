package temporalconn

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardflow/cardflow/internal/codec"
)

func TestKeyFileEncryptsDataAndFailures(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("k1 MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := Options(Settings{EnvLookup: base(t), CodecKeys: path})
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.DataConverter.ToPayload("Alice Archer")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Metadata[codec.MetadataEncoding]) != codec.EncodingName || strings.Contains(string(p.Data), "Alice") {
		t.Fatalf("payload not encrypted: %v", p)
	}
	if opts.FailureConverter == nil {
		t.Fatal("no failure converter: failure messages would stay in clear")
	}
	f := opts.FailureConverter.ErrorToFailure(os.ErrNotExist)
	if f.GetMessage() != "Encoded failure" || f.GetEncodedAttributes() == nil {
		t.Fatalf("failure message not encoded: %v", f)
	}
}

func TestMalformedKeyFileStopsWithTheLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(path, []byte("# keys\nk1 tooshort\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Options(Settings{EnvLookup: base(t), CodecKeys: path})
	if err == nil || !strings.Contains(err.Error(), path+" (CARDS_CODEC_KEYS) line 2") {
		t.Fatalf("err = %v, want the file and line 2", err)
	}
}

func TestPlaintextAskedForPayloadsStayPlain(t *testing.T) {
	opts, err := Options(Settings{EnvLookup: base(t), CodecKeys: codec.Plaintext})
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.DataConverter.ToPayload("x")
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Metadata[codec.MetadataEncoding]) != "json/plain" {
		t.Fatalf("encoding %q", p.Metadata[codec.MetadataEncoding])
	}
}

// Without a key file and without CARDS_CODEC_KEYS=none there is no
// connection: nothing could be sent in clear by accident.
func TestNoKeyFileRefusesToConnect(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Options(Settings{EnvLookup: base(t)})
	if !errors.Is(err, codec.ErrNoKeyFile) {
		t.Fatalf("err = %v, want codec.ErrNoKeyFile", err)
	}
}
