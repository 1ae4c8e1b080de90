package codec

import (
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// The first phase of a rotation lists the new key as decrypt-only, even on
// the first line: every reader learns it, nobody writes with it yet.
func TestDecryptOnlyKeyDecryptsButNeverEncrypts(t *testing.T) {
	text := "2026-11 " + b64(32) + " decrypt-only\n2025-05 " + b64(32) + "\n"
	keys, err := ParseKeyFile("keys", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if !keys[0].DecryptOnly || keys[1].DecryptOnly {
		t.Fatalf("keys %+v", keys)
	}
	c := mustCodec(t, keys...)
	if c.EncryptKeyID() != "2025-05" || strings.Join(c.KeyIDs(), ",") != "2026-11,2025-05" {
		t.Fatalf("encrypt %q, keys %v", c.EncryptKeyID(), c.KeyIDs())
	}
	// The second phase (the marker removed) encrypts with the new key, and
	// the first phase's codec reads what it writes.
	promoted := mustCodec(t, Key{ID: "2026-11", Secret: keys[0].Secret}, keys[1])
	sealed := encodeOne(t, promoted, "alice approves")
	if got := string(sealed.Metadata[MetadataKeyID]); got != "2026-11" {
		t.Fatalf("promoted codec encrypts with %q", got)
	}
	if got := decodeOne(t, c, sealed); got != "alice approves" {
		t.Fatalf("decoded %q", got)
	}
}

func TestMalformedDecryptOnlyMarkersNameTheLine(t *testing.T) {
	good := "k1 " + b64(32) + "\n"
	for name, tc := range map[string]struct {
		text string
		line int
		want string
	}{
		"misspelt marker": {good + "k2 " + b64(32) + " decrypt_only\n", 2, `unknown marker "decrypt_only" after key "k2": the only marker is decrypt-only`},
		"four fields":     {good + "k2 " + b64(32) + " decrypt-only x\n", 2, "4 fields, want 2 or 3"},
		"no encrypt key":  {"k1 " + b64(32) + " decrypt-only\n", 0, "every key is marked decrypt-only, so none encrypts"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseKeyFile("/etc/cardflow/keys", strings.NewReader(tc.text))
			var kfe *KeyFileError
			if !errors.As(err, &kfe) || kfe.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want line %d and %q", err, tc.line, tc.want)
			}
		})
	}
	if _, err := New([]Key{{ID: "k1", Secret: make([]byte, KeySize), DecryptOnly: true}}); err == nil {
		t.Fatal("New accepted keys none of which encrypts")
	}
}

// Inside a workflow a payload the worker cannot decrypt panics (which fails
// the workflow task); outside one it is an error to report, and a payload
// that decrypts is read the same everywhere.
func TestUndecryptablePayloadFailsOnlyInsideAWorkflow(t *testing.T) {
	newKey := Key{ID: "2026-11", Secret: make([]byte, KeySize)}
	oldKey := Key{ID: "2025-05", Secret: append(make([]byte, KeySize-1), 1)}
	writer := DataConverter(mustCodec(t, newKey, oldKey))
	oldReader := DataConverter(mustCodec(t, oldKey))
	payload, err := writer.ToPayload("alice approves")
	if err != nil {
		t.Fatal(err)
	}

	var s string
	var decodeErr *DecodeError
	if err := oldReader.FromPayload(payload, &s); !errors.As(err, &decodeErr) || !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("outside a workflow: err = %v, want a DecodeError for the unknown key", err)
	}
	inWorkflow := oldReader.(converter.ContextAware).WithWorkflowContext(nil)
	for name, decode := range map[string]func() error{
		"FromPayload": func() error { return inWorkflow.FromPayload(payload, &s) },
		"FromPayloads": func() error {
			return inWorkflow.FromPayloads(&commonpb.Payloads{Payloads: []*commonpb.Payload{payload}}, &s)
		},
		"with serialization context": func() error {
			return converter.WithDataConverterSerializationContext(inWorkflow, converter.WorkflowSerializationContext{Namespace: "default", WorkflowID: "w"}).FromPayload(payload, &s)
		},
	} {
		t.Run(name, func(t *testing.T) {
			panicked := func() (p any) {
				defer func() { p = recover() }()
				_ = decode()
				return nil
			}()
			err, ok := panicked.(error)
			if !ok || !strings.Contains(err.Error(), CannotDecryptInWorkflow) || !strings.Contains(err.Error(), "2026-11") || !errors.As(err, &decodeErr) {
				t.Fatalf("inside a workflow: panic %v, want one naming the key and wrapping the DecodeError", panicked)
			}
		})
	}
	// A bound converter that can decrypt reads as usual.
	good := writer.(converter.ContextAware).WithWorkflowContext(nil)
	if err := good.FromPayload(payload, &s); err != nil || s != "alice approves" {
		t.Fatalf("decoded %q, err %v", s, err)
	}
}

func encodeOne(t *testing.T, c *Codec, text string) *commonpb.Payload {
	t.Helper()
	plain, err := converter.GetDefaultDataConverter().ToPayload(text)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func decodeOne(t *testing.T, c *Codec, p *commonpb.Payload) string {
	t.Helper()
	out, err := c.Decode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatal(err)
	}
	var text string
	if err := converter.GetDefaultDataConverter().FromPayload(out[0], &text); err != nil {
		t.Fatal(err)
	}
	return text
}
