package codec

import (
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/proto"
)

// MetadataPlaintextRefused is set, in the worker's memory only, on a decoded
// payload that arrived unencrypted while encryption is required. A workflow
// handler that sees it refuses the payload; since it follows from the
// payload's own encoding in the history, the refusal is the same on replay.
const MetadataPlaintextRefused = "cardflow-plaintext-refused"

// PlaintextRefusedType is the error type of a refused plaintext update, and
// the prefix of an ignored plaintext signal's reason.
const PlaintextRefusedType = "PlaintextRefused"

// PlaintextRefusal is the reason a handler gives for a refused payload.
const PlaintextRefusal = "the payload was sent unencrypted (by a client without the key file, such as `temporal workflow signal` without --codec-endpoint) " +
	"and this worker requires encryption (CARDS_CODEC_REQUIRE=true): send it again through the starter, the console, or the CLI with --codec-endpoint"

// RequireEncryption makes Decode mark every unencrypted payload with
// MetadataPlaintextRefused, so that the workflow refuses plaintext updates
// and ignores plaintext signals. Call it before the codec is used.
func (c *Codec) RequireEncryption() { c.refusePlaintext = true }

// RequiresEncryption reports whether RequireEncryption was called.
func (c *Codec) RequiresEncryption() bool { return c.refusePlaintext }

// PlaintextPayloads is how many unencrypted payloads Decode has read: with
// keys, every one is a client that sent data in clear (or a history from
// before encryption). A payload read again on replay counts again.
func (c *Codec) PlaintextPayloads() int64 { return c.plaintext.Load() }

// RefusedPlaintext reports whether p, as decoded by a codec that requires
// encryption, arrived unencrypted.
func RefusedPlaintext(p *commonpb.Payload) bool {
	_, refused := p.GetMetadata()[MetadataPlaintextRefused]
	return refused
}

// readPlaintext counts an unencrypted payload and, when encryption is
// required, returns a marked copy (the original belongs to the history).
func (c *Codec) readPlaintext(p *commonpb.Payload) *commonpb.Payload {
	if p == nil {
		return p
	}
	c.plaintext.Add(1)
	if !c.refusePlaintext {
		return p
	}
	marked := proto.Clone(p).(*commonpb.Payload)
	if marked.Metadata == nil {
		marked.Metadata = map[string][]byte{}
	}
	marked.Metadata[MetadataPlaintextRefused] = []byte("true")
	return marked
}
