package codec

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func plainPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every unencrypted payload read is counted; encrypted ones are not.
func TestDecodeCountsPlaintextPayloads(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	encrypted := encodeValue(t, c, alice)
	plain := plainPayload(t, alice)
	out, err := c.Decode([]*commonpb.Payload{encrypted, plain, plain, nil})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.PlaintextPayloads(); got != 2 {
		t.Fatalf("plaintext payloads = %d, want 2", got)
	}
	if out[1] != plain || RefusedPlaintext(out[1]) {
		t.Fatal("without RequireEncryption a plaintext payload must pass through untouched")
	}
	if RefusedPlaintext(out[0]) {
		t.Fatal("an encrypted payload is never refused")
	}
}

// With encryption required a plaintext payload still decodes (a workflow
// task must not fail on it) but carries the mark the handlers refuse; the
// history's payload itself is left alone.
func TestRequireEncryptionMarksPlaintext(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	c.RequireEncryption()
	plain := plainPayload(t, alice)
	out, err := c.Decode([]*commonpb.Payload{plain, encodeValue(t, c, alice)})
	if err != nil {
		t.Fatal(err)
	}
	if !RefusedPlaintext(out[0]) {
		t.Fatal("plaintext payload not marked refused")
	}
	if RefusedPlaintext(plain) {
		t.Fatal("Decode changed the caller's payload")
	}
	if RefusedPlaintext(out[1]) {
		t.Fatal("encrypted payload marked refused")
	}
	var got person
	if err := converter.GetDefaultDataConverter().FromPayload(out[0], &got); err != nil || got != alice {
		t.Fatalf("marked payload reads %+v, %v; want %+v", got, err, alice)
	}
	if c.PlaintextPayloads() != 1 {
		t.Fatalf("plaintext payloads = %d, want 1", c.PlaintextPayloads())
	}
}

// The mark is Decode's alone: one inside an encrypted payload is dropped.
func TestDecryptedPayloadNeverCarriesTheMark(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	c.RequireEncryption()
	inner := plainPayload(t, alice)
	inner.Metadata[MetadataPlaintextRefused] = []byte("true")
	sealed, err := c.Encode([]*commonpb.Payload{inner})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Decode(sealed)
	if err != nil {
		t.Fatal(err)
	}
	if RefusedPlaintext(out[0]) {
		t.Fatal("decrypted payload kept a mark its sender set")
	}
}
