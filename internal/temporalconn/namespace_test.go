package temporalconn

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/testtools"
)

// startDevServer starts a Temporal dev server (namespace "default" only)
// for one test and stops it after.
func startDevServer(t *testing.T) string {
	t.Helper()
	cli, err := testtools.TemporalCLI()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	server, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		LogLevel:      "error",
		ClientOptions: &client.Options{Logger: logging.Discard},
	})
	if err != nil {
		t.Fatalf("start Temporal dev server: %v", err)
	}
	t.Cleanup(func() { _ = server.Stop() })
	return server.FrontendHostPort()
}

// Dial, shared by the worker, the starter and the console, refuses a
// namespace the server does not have at once, naming it and how to fix it,
// and accepts one it has.
func TestDialRefusesAMissingNamespaceAtOnce(t *testing.T) {
	addr := startDevServer(t)
	opts, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: base(t), Address: addr, Namespace: "nope", Logger: logging.Discard})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c, err := Dial(context.Background(), opts, 10*time.Second)
	if err == nil {
		c.Close()
		t.Fatal("Dial accepted namespace nope, which the server does not have")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Dial took %s to refuse the namespace, want at once", took)
	}
	var setting *SettingError
	want := `namespace "nope" does not exist on ` + addr + ": create it (temporal operator namespace create nope)"
	if !errors.As(err, &setting) || setting.Kind != "NamespaceNotFound" || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %#v, want a NamespaceNotFound SettingError containing %q", err, want)
	}

	opts.Namespace = DefaultNamespace
	c, err = Dial(context.Background(), opts, 10*time.Second)
	if err != nil {
		t.Fatalf("Dial with the existing namespace: %v", err)
	}
	c.Close()
}

func TestAddressWithoutPortIsRefusedAtOnce(t *testing.T) {
	_, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: base(t), Address: "temporal.internal"})
	var setting *SettingError
	if !errors.As(err, &setting) || setting.Kind != "BadAddress" || !strings.Contains(err.Error(), `"temporal.internal" is not host:port`) {
		t.Fatalf("err = %v, want a BadAddress SettingError naming the address", err)
	}
	for _, ok := range []string{"temporal:7233", "[::1]:7233", "dns:///temporal:7233"} {
		if _, err := Options(Settings{CodecKeys: codec.Plaintext, EnvLookup: base(t), Address: ok}); err != nil {
			t.Errorf("address %q refused: %v", ok, err)
		}
	}
}
