package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

func newKey(t testing.TB, id string) Key {
	t.Helper()
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return Key{ID: id, Secret: secret}
}

func mustCodec(t testing.TB, keys ...Key) *Codec {
	t.Helper()
	c, err := New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type person struct {
	GivenName string
	UPN       string
}

var alice = person{GivenName: "Alice", UPN: "alice@example.com"}

func encodeValue(t *testing.T, c *Codec, v any) *commonpb.Payload {
	t.Helper()
	p, err := DataConverter(c).ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRoundTripHidesTheData(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	p := encodeValue(t, c, alice)
	if got := string(p.Metadata[MetadataEncoding]); got != EncodingName {
		t.Fatalf("encoding = %q, want %q", got, EncodingName)
	}
	if got := string(p.Metadata[MetadataKeyID]); got != "k1" {
		t.Fatalf("key id = %q, want k1", got)
	}
	if bytes.Contains(p.Data, []byte("Alice")) || bytes.Contains(p.Data, []byte("json")) {
		t.Fatalf("ciphertext holds the plaintext: %q", p.Data)
	}
	var back person
	if err := DataConverter(c).FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if back != alice {
		t.Fatalf("round trip = %+v", back)
	}
}

func TestEveryPayloadGetsItsOwnNonce(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	a, b := encodeValue(t, c, alice), encodeValue(t, c, alice)
	if bytes.Equal(a.Data, b.Data) {
		t.Fatal("the same value encrypted twice gave the same bytes: the nonce is not random")
	}
}

func TestRotationKeepsOldPayloadsReadable(t *testing.T) {
	oldKey, newKey := newKey(t, "2025"), newKey(t, "2026")
	before := mustCodec(t, oldKey)
	old := encodeValue(t, before, alice)

	after := mustCodec(t, newKey, oldKey) // new first line, old kept below
	var back person
	if err := DataConverter(after).FromPayload(old, &back); err != nil || back != alice {
		t.Fatalf("old payload after rotation: %+v, %v", back, err)
	}
	fresh := encodeValue(t, after, alice)
	if got := string(fresh.Metadata[MetadataKeyID]); got != "2026" {
		t.Fatalf("new payloads use key %q, want the first line's 2026", got)
	}
	if err := DataConverter(before).FromPayload(fresh, &back); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("a reader with only the old key: err = %v, want ErrUnknownKey", err)
	}
}

func TestTamperedPayloadIsRefused(t *testing.T) {
	c := mustCodec(t, newKey(t, "k1"))
	for name, tamper := range map[string]func(p *commonpb.Payload){
		"flipped ciphertext bit": func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 },
		"flipped nonce bit":      func(p *commonpb.Payload) { p.Data[0] ^= 1 },
		"truncated tag":          func(p *commonpb.Payload) { p.Data = p.Data[:len(p.Data)-1] },
	} {
		t.Run(name, func(t *testing.T) {
			p := encodeValue(t, c, alice)
			tamper(p)
			var back person
			err := DataConverter(c).FromPayload(p, &back)
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "failed GCM authentication") {
				t.Fatalf("err = %v, want a GCM authentication failure", err)
			}
		})
	}
}

func TestKeyIDIsAuthenticated(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	k2.Secret = k1.Secret // same secret under two ids: only the AAD tells them apart
	c := mustCodec(t, k1, k2)
	p := encodeValue(t, c, alice)
	p.Metadata[MetadataKeyID] = []byte("k2")
	if _, err := c.Decode([]*commonpb.Payload{p}); !errors.Is(err, ErrTampered) {
		t.Fatalf("relabelled key id: err = %v, want ErrTampered", err)
	}
}

func TestUnknownKeyIDIsNamed(t *testing.T) {
	writer := mustCodec(t, newKey(t, "retired"))
	reader := mustCodec(t, newKey(t, "current"))
	_, err := reader.Decode([]*commonpb.Payload{encodeValue(t, writer, alice)})
	want := "payload was encrypted with key retired, which CARDS_CODEC_KEYS does not list"
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestWithoutKeysEncryptedPayloadsSayWhatToSet(t *testing.T) {
	writer := mustCodec(t, newKey(t, "k1"))
	guard := mustCodec(t)
	var back person
	err := DataConverter(guard).FromPayload(encodeValue(t, writer, alice), &back)
	if !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), "set CARDS_CODEC_KEYS") {
		t.Fatalf("err = %v, want advice to set CARDS_CODEC_KEYS", err)
	}
	// And it writes plain payloads, as the SDK would without a codec.
	p := encodeValue(t, guard, alice)
	if string(p.Metadata[MetadataEncoding]) != "json/plain" {
		t.Fatalf("keyless codec encoding = %q", p.Metadata[MetadataEncoding])
	}
}

func TestUnencryptedPayloadsStillRead(t *testing.T) {
	plain, err := converter.GetDefaultDataConverter().ToPayload(alice)
	if err != nil {
		t.Fatal(err)
	}
	var back person
	if err := DataConverter(mustCodec(t, newKey(t, "k1"))).FromPayload(plain, &back); err != nil || back != alice {
		t.Fatalf("plain payload through the codec: %+v, %v", back, err)
	}
}

func TestEncryptedPayloadWithoutKeyIDIsNamed(t *testing.T) {
	p := &commonpb.Payload{Metadata: map[string][]byte{MetadataEncoding: []byte(EncodingName)}, Data: []byte("x")}
	_, err := mustCodec(t, newKey(t, "k1")).Decode([]*commonpb.Payload{p})
	if !errors.Is(err, ErrMalformedPayload) || !strings.Contains(err.Error(), MetadataKeyID) {
		t.Fatalf("err = %v", err)
	}
}

func TestFailureMessagesAreEncrypted(t *testing.T) {
	dc := DataConverter(mustCodec(t, newKey(t, "k1")))
	fc := FailureConverter(dc)
	refusal := temporal.NewNonRetryableApplicationError("user Alice Archer is not active", "UserNotActive", nil)
	f := fc.ErrorToFailure(refusal)
	if strings.Contains(f.String(), "Alice") {
		t.Fatalf("failure holds the name in clear: %v", f)
	}
	var appErr *temporal.ApplicationError
	if err := fc.FailureToError(f); !errors.As(err, &appErr) || appErr.Type() != "UserNotActive" || appErr.Message() != "user Alice Archer is not active" {
		t.Fatalf("decoded failure = %v", err)
	}

	// A reader without the key keeps the type and learns what to set.
	keyless := FailureConverter(DataConverter(mustCodec(t)))
	err := keyless.FailureToError(f)
	if !errors.As(err, &appErr) || appErr.Type() != "UserNotActive" || !strings.Contains(appErr.Message(), "set CARDS_CODEC_KEYS") {
		t.Fatalf("keyless decode = %v", err)
	}
	// The converter did not change the failure it was given.
	if f.GetMessage() != "Encoded failure" {
		t.Fatalf("input failure changed: %q", f.GetMessage())
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	if _, err := New([]Key{{ID: "short", Secret: []byte("x")}}); err == nil || !strings.Contains(err.Error(), "short") {
		t.Fatalf("short key: %v", err)
	}
	k := newKey(t, "same")
	if _, err := New([]Key{k, k}); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Fatalf("duplicate: %v", err)
	}
}

func b64(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
