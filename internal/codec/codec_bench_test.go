package codec

import (
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
)

// BenchmarkEncodeDecode measures one status-document-sized payload (about
// 600 bytes of JSON) encrypted and decrypted: the codec's cost per payload.
func BenchmarkEncodeDecode(b *testing.B) {
	c := mustCodec(b, newKey(b, "k1"))
	p := &commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")},
		Data:     []byte(`{"id":"` + strings.Repeat("x", 580) + `"}`),
	}
	in := []*commonpb.Payload{p}
	b.SetBytes(int64(len(p.Data)))
	b.ReportAllocs()
	for b.Loop() {
		enc, err := c.Encode(in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}
