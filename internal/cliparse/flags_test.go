package cliparse_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/cardflow/cardflow/internal/cliparse"
	"github.com/cardflow/cardflow/internal/codec"
)

// A command that embeds the shared flags parses without declaring their
// variables itself, and gets the contract's defaults.
func TestSharedFlagsParseWithTheirDefaults(t *testing.T) {
	for _, env := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "CARDS_TASK_QUEUE", "CARDS_POLICY", "CARDS_CODEC_KEYS", "CARDS_LOG_FORMAT", "CARDS_LOG_LEVEL"} {
		t.Setenv(env, "") // restored after the test
		if err := os.Unsetenv(env); err != nil {
			t.Fatal(err)
		}
	}
	var cmd struct {
		cliparse.Database
		cliparse.Temporal
		cliparse.PolicyFile
		cliparse.Codec
		cliparse.Logging
	}
	var out, errOut bytes.Buffer
	if _, code, done := cliparse.Parse("test", &cmd, []string{"--temporal-namespace", "ns"}, &out, &errOut); done {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if cmd.DatabaseURL != cliparse.DefaultDatabaseURL || cmd.TaskQueue != "cards" || cmd.Policy != "config/policy.yaml" ||
		cmd.LogFormat != "console" || cmd.LogLevel != "info" || cmd.TemporalNamespace != "ns" || cmd.TemporalAddress != "" || cmd.CodecKeys != "" {
		t.Errorf("parsed %+v, want the defaults and --temporal-namespace ns", cmd)
	}
	var help bytes.Buffer
	if _, code, _ := cliparse.Parse("test", &cmd, []string{"--help"}, &help, &errOut); code != 0 {
		t.Fatalf("--help: exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{cliparse.DefaultDatabaseURL, codec.LocalKeyFile, `"cards"`, "config/policy.yaml", `"console"`, `"info"`} {
		if !bytes.Contains(help.Bytes(), []byte(want)) {
			t.Errorf("--help lacks %q:\n%s", want, help.String())
		}
	}
}
