// Package codec keeps identity data out of Temporal's history: a
// converter.PayloadCodec that encrypts every payload with AES-256-GCM under
// keys from the CARDS_CODEC_KEYS file, so that the Temporal server, its
// database and anyone who can open the namespace see ciphertext, while the
// worker, the starter and the codec server (for the UI and CLI) see the data.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. The key id travels in clear so that a
// reader picks the right key after a rotation.
const (
	MetadataEncoding = converter.MetadataEncoding // "encoding"
	MetadataKeyID    = "encryption-key-id"
	EncodingName     = "binary/encrypted"
)

// Sentinel reasons a payload cannot be decoded; DecodeError wraps one.
var (
	ErrNoKeys           = errors.New("no key file configured")
	ErrUnknownKey       = errors.New("unknown key id")
	ErrTampered         = errors.New("authentication failed")
	ErrMalformedPayload = errors.New("malformed encrypted payload")
)

// DecodeError says why an encrypted payload could not be read and what to do.
type DecodeError struct {
	KeyID   string
	Reason  error
	Message string
}

func (e *DecodeError) Error() string { return e.Message }

// Unwrap lets callers test the reason with errors.Is.
func (e *DecodeError) Unwrap() error { return e.Reason }

// Codec encrypts with the first key not marked decrypt-only and decrypts
// with any key it holds.
// A Codec without keys (CARDS_CODEC_KEYS=none) encrypts nothing and reads
// unencrypted payloads, but refuses encrypted ones with a message that says
// to set CARDS_CODEC_KEYS, rather than the SDK's "unsupported encoding".
type Codec struct {
	encryptID string
	aeads     map[string]cipher.AEAD
	ids       []string
	// plaintext counts the unencrypted payloads Decode has read.
	plaintext atomic.Int64
	// refusePlaintext marks unencrypted payloads as refused (see
	// RequireEncryption).
	refusePlaintext bool
	// markPlaintext marks unencrypted payloads as having arrived in clear
	// (see MarkPlaintext).
	markPlaintext bool
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over keys (the first not marked decrypt-only
// encrypts); no keys gives the pass-through codec described on Codec.
func New(keys []Key) (*Codec, error) {
	if len(keys) > 0 && encryptKey(keys) == nil {
		return nil, fmt.Errorf("every key is decrypt-only: one must encrypt")
	}
	c := &Codec{aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("key %q is %d bytes, want %d (AES-256)", k.ID, len(k.Secret), KeySize)
		}
		if _, dup := c.aeads[k.ID]; dup {
			return nil, fmt.Errorf("duplicate key id %q", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
		c.ids = append(c.ids, k.ID)
		if c.encryptID == "" && !k.DecryptOnly {
			c.encryptID = k.ID
		}
	}
	return c, nil
}

// Load reads the key file at path and returns its codec.
func Load(path string) (*Codec, error) {
	keys, err := LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	return New(keys)
}

// Encrypts reports whether Encode encrypts (the codec has keys).
func (c *Codec) Encrypts() bool { return c.encryptID != "" }

// EncryptKeyID is the id of the key new payloads are encrypted with.
func (c *Codec) EncryptKeyID() string { return c.encryptID }

// KeyIDs lists every key id the codec decrypts with, in file order.
func (c *Codec) KeyIDs() []string { return append([]string(nil), c.ids...) }

// Encode encrypts each payload, whole (data and metadata), with a fresh
// random nonce; without keys it returns the payloads unchanged.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if !c.Encrypts() {
		return payloads, nil
	}
	aead := c.aeads[c.encryptID]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encrypt payload: %w", err)
		}
		data := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(data); err != nil {
			return nil, fmt.Errorf("encrypt payload: nonce: %w", err)
		}
		data = aead.Seal(data, data, plain, []byte(c.encryptID))
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingName),
				MetadataKeyID:    []byte(c.encryptID),
			},
			Data: data,
		}
	}
	return out, nil
}

// Decode decrypts encrypted payloads and passes the others through, so that
// histories written before encryption was switched on still read; it counts
// those, and marks them when encryption is required (see RequireEncryption).
// It never fails on an unencrypted payload: inside a workflow that would fail
// the workflow task again and again instead of refusing one signal.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingName {
			out[i] = c.readPlaintext(p)
			continue
		}
		decoded, err := c.decrypt(p)
		if err != nil {
			return nil, err
		}
		out[i] = decoded
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	id := string(p.GetMetadata()[MetadataKeyID])
	if id == "" {
		return nil, &DecodeError{Reason: ErrMalformedPayload, Message: "encrypted payload has no " + MetadataKeyID + " metadata: it was not written by cardflow's codec"}
	}
	if !c.Encrypts() {
		return nil, &DecodeError{KeyID: id, Reason: ErrNoKeys, Message: fmt.Sprintf(
			"payload was encrypted with key %s, and this process runs without keys (CARDS_CODEC_KEYS=none): set CARDS_CODEC_KEYS (or --codec-keys) to the key file the worker uses (`make up` writes .run/codec-keys)", id)}
	}
	aead, ok := c.aeads[id]
	if !ok {
		return nil, &DecodeError{KeyID: id, Reason: ErrUnknownKey, Message: fmt.Sprintf(
			"payload was encrypted with key %s, which CARDS_CODEC_KEYS does not list (it lists %v): add that key's line to the key file", id, c.ids)}
	}
	data := p.GetData()
	if len(data) < aead.NonceSize()+aead.Overhead() {
		return nil, &DecodeError{KeyID: id, Reason: ErrMalformedPayload, Message: fmt.Sprintf(
			"encrypted payload (key %s) is %d bytes, too short to hold a nonce and an authentication tag", id, len(data))}
	}
	nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, []byte(id))
	if err != nil {
		return nil, &DecodeError{KeyID: id, Reason: ErrTampered, Message: fmt.Sprintf(
			"encrypted payload (key %s) failed GCM authentication: it was altered after encryption, or the key listed as %s is not the one it was encrypted with", id, id)}
	}
	var decoded commonpb.Payload
	if err := proto.Unmarshal(plain, &decoded); err != nil {
		return nil, &DecodeError{KeyID: id, Reason: ErrMalformedPayload, Message: fmt.Sprintf("decrypted payload (key %s) is not a Temporal payload: %v", id, err)}
	}
	// Only Decode marks a payload refused; an encrypted one never is.
	delete(decoded.Metadata, MetadataPlaintextRefused)
	return &decoded, nil
}
