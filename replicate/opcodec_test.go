package replicate

import (
	"bytes"
	"testing"
)

var codecCases = []struct {
	name    string
	payload string
	codec   int
}{
	{"checkout", `{"loan_id":"01a153ab-07c0-7681-8381-c91ad44e9ab8","item_id":"01a02e7d-ee00-7937-b1ca-060bf01a18cf","patron_id":"01a02e7d-ee00-71d6-afa0-06b7d96efb56","branch_id":"EAST","issued_at":"2026-10-19T10:18:00.000Z","due_date":"2026-11-16","format":"book","owner":"NORTH"}`, CodecDict1},
	{"upper-case uuid stays text", `{"item_id":"01A153AB-07C0-7681-8381-C91AD44E9AB8","x":"y"}`, CodecDict1},
	{"other stamp layouts", `{"a":"2026-10-19T10:18:00Z","b":"2026-10-19T10:18:00.000+02:00","c":"1969-12-31","d":"2026-02-30","e":"2026-10-19T10:18:00.000Z"}`, CodecDict1},
	{"escaped quotes", `{"title":"a \"MAIN\" b","k\"ey":"\\","item_id":"\"EAST\""}`, CodecDict1},
	{"unicode", `{"title":"Люди с чистой совестью","authors":["Вершигора"]}`, CodecDict1},
	{"unterminated string", `{"title":"abc`, CodecDict1},
	{"control byte", "{\"a\":\"\x01\x02\"}", CodecRaw},
	{"binary", "\x00\x01\x02\x03\x04\xff", CodecRaw},
	{"empty", ``, CodecRaw},
	{"nothing to gain", `[1,2,3]`, CodecRaw},
}

// TestPayloadCodec: every payload is stored in a codec that decodes back
// to exactly its bytes; JSON shrinks, anything that would not round-trip
// or shrink is stored raw.
func TestPayloadCodec(t *testing.T) {
	for _, c := range codecCases {
		t.Run(c.name, func(t *testing.T) {
			stored, codec := encodePayload(nil, []byte(c.payload))
			if codec != c.codec {
				t.Errorf("codec %d, want %d", codec, c.codec)
			}
			back, err := decodePayload(codec, stored)
			if err != nil || !bytes.Equal(back, []byte(c.payload)) {
				t.Fatalf("round trip: %q, %v", back, err)
			}
			if codec == CodecDict1 && len(stored) >= len(c.payload) {
				t.Errorf("stored %d bytes of %d", len(stored), len(c.payload))
			}
		})
	}
	if _, err := decodePayload(7, nil); err == nil {
		t.Error("an unknown codec decoded")
	}
}

// FuzzPayloadCodec: any payload round-trips; any stored bytes decode or
// fail cleanly.
func FuzzPayloadCodec(f *testing.F) {
	for _, c := range codecCases {
		f.Add([]byte(c.payload))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		stored, codec := encodePayload(nil, p)
		back, err := decodePayload(codec, stored)
		if err != nil || !bytes.Equal(back, p) {
			t.Fatalf("round trip of %q: %q, %v", p, back, err)
		}
		decodePayload(CodecDict1, p) // must not panic
	})
}
