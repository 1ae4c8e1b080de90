package temporalconn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/codec"
)

// fakeEnv is an environment for envconfig that ignores the process's own.
type fakeEnv map[string]string

func (f fakeEnv) Environ() []string {
	out := make([]string, 0, len(f))
	for k, v := range f {
		out = append(out, k+"="+v)
	}
	return out
}

func (f fakeEnv) LookupEnv(key string) (string, bool) {
	v, ok := f[key]
	return v, ok
}

func base(t *testing.T) fakeEnv {
	// Point the config file somewhere empty, so the tester's own profile
	// cannot leak in.
	return fakeEnv{"TEMPORAL_CONFIG_FILE": filepath.Join(t.TempDir(), "absent.toml")}
}

func TestDefaultsMatchALocalDevServer(t *testing.T) {
	opts, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: base(t)})
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != "localhost:7233" || opts.Namespace != "default" || opts.Credentials != nil || opts.ConnectionOptions.TLS != nil {
		t.Fatalf("defaults: host %q namespace %q credentials %v tls %v", opts.HostPort, opts.Namespace, opts.Credentials, opts.ConnectionOptions.TLS)
	}
}

func TestTemporalCloudWithAPIKey(t *testing.T) {
	env := base(t)
	env["TEMPORAL_ADDRESS"] = "eu-west-1.aws.api.temporal.io:7233"
	env["TEMPORAL_NAMESPACE"] = "cards.a1b2c"
	env["TEMPORAL_API_KEY"] = "key-123"
	opts, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: env})
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != env["TEMPORAL_ADDRESS"] || opts.Namespace != "cards.a1b2c" {
		t.Fatalf("host %q namespace %q", opts.HostPort, opts.Namespace)
	}
	if opts.Credentials == nil {
		t.Fatal("API key did not become credentials")
	}
	if opts.ConnectionOptions.TLS == nil {
		t.Fatal("an API key must imply TLS")
	}
}

func TestMutualTLSFromFiles(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath := writeSelfSigned(t, dir)
	env := base(t)
	env["TEMPORAL_ADDRESS"] = "cards.a1b2c.tmprl.cloud:7233"
	env["TEMPORAL_NAMESPACE"] = "cards.a1b2c"
	env["TEMPORAL_TLS_CLIENT_CERT_PATH"] = certPath
	env["TEMPORAL_TLS_CLIENT_KEY_PATH"] = keyPath
	env["TEMPORAL_TLS_SERVER_NAME"] = "cards.a1b2c.tmprl.cloud"
	opts, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: env})
	if err != nil {
		t.Fatal(err)
	}
	tls := opts.ConnectionOptions.TLS
	if tls == nil || len(tls.Certificates) != 1 || tls.ServerName != "cards.a1b2c.tmprl.cloud" {
		t.Fatalf("TLS config = %+v", tls)
	}
	if opts.Credentials != nil {
		t.Fatal("mTLS needs no API key")
	}
}

func TestFlagsOverrideTheEnvironment(t *testing.T) {
	env := base(t)
	env["TEMPORAL_ADDRESS"] = "from-env:7233"
	env["TEMPORAL_NAMESPACE"] = "env-ns"
	opts, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: env, Address: "from-flag:7233", Namespace: "flag-ns"})
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != "from-flag:7233" || opts.Namespace != "flag-ns" {
		t.Fatalf("host %q namespace %q", opts.HostPort, opts.Namespace)
	}
}

func TestMissingCertificateIsNamed(t *testing.T) {
	env := base(t)
	env["TEMPORAL_TLS_CLIENT_CERT_PATH"] = "/nonexistent/client.pem"
	env["TEMPORAL_TLS_CLIENT_KEY_PATH"] = "/nonexistent/client.key"
	_, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: env})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/client") {
		t.Fatalf("err = %v, want it to name the file", err)
	}
}

func writeSelfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "cardflow-worker"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

func TestCompressionSetting(t *testing.T) {
	opts, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: base(t), Compression: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if opts.ConnectionOptions.GrpcCompression == nil {
		t.Fatal("compression none was not applied")
	}
	if _, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: base(t), Compression: "zstd"}); err == nil || !strings.Contains(err.Error(), "zstd") {
		t.Fatalf("err = %v", err)
	}
}
