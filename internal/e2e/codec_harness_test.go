package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/client"

	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
)

// withCodec encrypts every payload of the test's worker, starter and client
// with a fresh key file, as CARDS_CODEC_KEYS does in a deployment.
func withCodec() harnessOption {
	return func(h *harness) {
		h.codecKeys = writeKeyFile(h.t.TempDir(), "e2e-1")
	}
}

// writeKeyFile writes a key file with one fresh key and returns its path.
func writeKeyFile(dir, id string) string {
	secret := make([]byte, codec.KeySize)
	if _, err := rand.Read(secret); err != nil {
		panic(err)
	}
	path := filepath.Join(dir, "codec-keys")
	if err := os.WriteFile(path, []byte("# e2e\n"+id+" "+base64.StdEncoding.EncodeToString(secret)+"\n"), 0o600); err != nil {
		panic(err)
	}
	return path
}

// codecSetting is CARDS_CODEC_KEYS for the test's worker, starter and
// console: its key file, or none when the test runs in clear on purpose.
func (h *harness) codecSetting() string {
	if h.codecKeys == "" {
		return codec.Plaintext
	}
	return h.codecKeys
}

// clientOptions are the test client's, with the harness's codec if any.
func (h *harness) clientOptions() client.Options {
	opts := client.Options{HostPort: h.temporal, Logger: logging.Discard}
	if h.codecKeys != "" {
		c, err := codec.Load(h.codecKeys)
		if err != nil {
			h.t.Fatal(err)
		}
		opts.DataConverter = codec.DataConverter(c)
		opts.FailureConverter = codec.FailureConverter(opts.DataConverter)
	}
	return opts
}
