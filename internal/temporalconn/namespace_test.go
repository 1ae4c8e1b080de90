package temporalconn_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cardflow/cardflow/internal/codec"
	"github.com/cardflow/cardflow/internal/logging"
	"github.com/cardflow/cardflow/internal/temporalconn"
	"github.com/cardflow/cardflow/internal/testkit"
)

// temporalconn.Dial, shared by the worker, the starter and the console, refuses a
// namespace the server does not have at once, naming it and how to fix it,
// and accepts one it has.
func TestDialRefusesAMissingNamespaceAtOnce(t *testing.T) {
	addr := testkit.DevServer(t)
	opts, err := temporalconn.Options(temporalconn.Settings{CodecKeys: codec.Plaintext, EnvLookup: temporalconn.FakeEnv(t), Address: addr, Namespace: "nope", Logger: logging.Discard})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c, err := temporalconn.Dial(context.Background(), opts, 10*time.Second)
	if err == nil {
		c.Close()
		t.Fatal("Dial accepted namespace nope, which the server does not have")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("Dial took %s to refuse the namespace, want at once", took)
	}
	var setting *temporalconn.SettingError
	want := `namespace "nope" does not exist on ` + addr + ": create it (temporal operator namespace create nope)"
	if !errors.As(err, &setting) || setting.Kind != "NamespaceNotFound" || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %#v, want a NamespaceNotFound temporalconn.SettingError containing %q", err, want)
	}

	opts.Namespace = temporalconn.DefaultNamespace
	c, err = temporalconn.Dial(context.Background(), opts, 10*time.Second)
	if err != nil {
		t.Fatalf("Dial with the existing namespace: %v", err)
	}
	c.Close()
}

func TestAddressWithoutPortIsRefusedAtOnce(t *testing.T) {
	_, err := temporalconn.Options(temporalconn.Settings{CodecKeys: codec.Plaintext, EnvLookup: temporalconn.FakeEnv(t), Address: "temporal.internal"})
	var setting *temporalconn.SettingError
	if !errors.As(err, &setting) || setting.Kind != "BadAddress" || !strings.Contains(err.Error(), `"temporal.internal" is not host:port`) {
		t.Fatalf("err = %v, want a BadAddress temporalconn.SettingError naming the address", err)
	}
	for _, ok := range []string{"temporal:7233", "[::1]:7233", "dns:///temporal:7233"} {
		if _, err := temporalconn.Options(temporalconn.Settings{CodecKeys: codec.Plaintext, EnvLookup: temporalconn.FakeEnv(t), Address: ok}); err != nil {
			t.Errorf("address %q refused: %v", ok, err)
		}
	}
}
