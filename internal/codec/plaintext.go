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

// MetadataPlaintext is set, in the worker's memory only, on every decoded
// payload that arrived unencrypted (once MarkPlaintext or RequireEncryption
// was called). Whether a workflow refuses such a payload is then decided by
// what its history recorded (the resolved policy's RequireEncryption), never
// by the setting of the worker that happens to replay it.
const MetadataPlaintext = "cardflow-plaintext"

// PlaintextRefusedType is the error type of a refused plaintext update, and
// the prefix of an ignored plaintext signal's reason.
const PlaintextRefusedType = "PlaintextRefused"

// PlaintextRefusal is the reason a handler gives for a refused payload.
const PlaintextRefusal = "the payload was sent unencrypted (by a client without the key file, such as `temporal workflow signal` without --codec-endpoint) " +
	"and this worker requires encryption (CARDS_CODEC_REQUIRE=true): send it again through the starter, the console, or the CLI with --codec-endpoint"

// RequireEncryption makes Decode mark every unencrypted payload with
// MetadataPlaintextRefused, so that the workflow refuses plaintext updates
// and ignores plaintext signals. Call it before the codec is used.
func (c *Codec) RequireEncryption() { c.refusePlaintext, c.markPlaintext = true, true }

// MarkPlaintext makes Decode mark every unencrypted payload with
// MetadataPlaintext. The worker calls it whatever CARDS_CODEC_REQUIRE says,
// so that a history recorded with the setting on replays the same with it
// off, and the other way round; the codec server does not, so the payloads it
// shows are exactly what the history holds.
func (c *Codec) MarkPlaintext() { c.markPlaintext = true }

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

// ArrivedInClear reports whether p, as decoded by a worker's codec (see
// MarkPlaintext), arrived unencrypted.
func ArrivedInClear(p *commonpb.Payload) bool {
	_, clear := p.GetMetadata()[MetadataPlaintext]
	return clear
}

// readPlaintext counts an unencrypted payload and, when the worker marks
// them, returns a marked copy (the original belongs to the history).
func (c *Codec) readPlaintext(p *commonpb.Payload) *commonpb.Payload {
	if p == nil {
		return p
	}
	c.plaintext.Add(1)
	if !c.markPlaintext {
		return p
	}
	marked := proto.Clone(p).(*commonpb.Payload)
	if marked.Metadata == nil {
		marked.Metadata = map[string][]byte{}
	}
	marked.Metadata[MetadataPlaintext] = []byte("true")
	if c.refusePlaintext {
		marked.Metadata[MetadataPlaintextRefused] = []byte("true")
	}
	return marked
}
