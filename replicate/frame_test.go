package replicate_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/klauspost/compress/zstd"

	"stacks/replicate"
)

func sampleOps(n int) []replicate.Op {
	var ops []replicate.Op
	for i := 1; i <= n; i++ {
		ops = append(ops, replicate.Op{Origin: replicate.NodeID(7 + i%3), Counter: uint64(i), HLC: replicate.MakeTimestamp(1_700_000_000_000+int64(i), uint16(i)),
			Kind: "loan.checkout", Payload: []byte(`{"loan_id":"x","due_date":"2026-12-14"}`), Actor: "clerk", Channel: "desk"})
	}
	return ops
}

func TestFrameRoundTrip(t *testing.T) {
	ops := sampleOps(500)
	var stream []byte
	stream = replicate.EncodeFrame(stream, ops[:200])
	stream = replicate.EncodeFrame(stream, ops[200:])
	fr := replicate.NewFrameReader(bytes.NewReader(stream))
	var got []replicate.Op
	for {
		batch, err := fr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, batch...)
	}
	if !reflect.DeepEqual(got, ops) {
		t.Fatal("round trip changed ops")
	}
	if fr.Bytes != int64(len(stream)) {
		t.Fatalf("bytes %d of %d", fr.Bytes, len(stream))
	}
}

func TestFrameRejects(t *testing.T) {
	good := replicate.EncodeFrame(nil, sampleOps(50))
	tests := []struct {
		name  string
		frame []byte
	}{
		{"TruncatedHeader", good[:10]},
		{"TruncatedBody", good[:len(good)-7]},
		{"BadMagic", append([]byte("XOPS"), good[4:]...)},
		{"NewerVersion", func() []byte { b := bytes.Clone(good); b[4] = 2; return b }()},
		{"FlippedBodyByte", func() []byte { b := bytes.Clone(good); b[len(b)-3] ^= 0xff; return b }()},
		{"WrongCount", func() []byte { b := bytes.Clone(good); b[9]++; return b }()},
		{"BadChecksum", func() []byte { b := bytes.Clone(good); b[21] ^= 1; return b }()},
		{"HugeLength", func() []byte { b := bytes.Clone(good); b[14] = 0xff; return b }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := replicate.NewFrameReader(bytes.NewReader(tt.frame)).Next()
			if !errors.Is(err, replicate.ErrBadFrame) || ops != nil {
				t.Fatalf("got %d ops, err %v", len(ops), err)
			}
		})
	}
}

func FuzzSyncBatch(f *testing.F) {
	f.Add(replicate.EncodeFrame(nil, sampleOps(3)))
	f.Add(replicate.EncodeFrame(replicate.EncodeFrame(nil, sampleOps(1)), sampleOps(2)))
	f.Add([]byte("SOPS\x01\x00garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := replicate.NewFrameReader(bytes.NewReader(data))
		for i := 0; i < 10; i++ {
			ops, err := fr.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, replicate.ErrBadFrame) {
					t.Fatalf("unexpected error type: %v", err)
				}
				return
			}
			// Whatever decodes re-encodes to something that decodes the same.
			again, err := replicate.NewFrameReader(bytes.NewReader(replicate.EncodeFrame(nil, ops))).Next()
			if err != nil || !reflect.DeepEqual(again, ops) {
				t.Fatalf("re-encode: %v", err)
			}
		}
	})
}

// TestSmallFramesStored: a frame of a few ops carries its body in a zstd
// Raw block (not compressed); a zstd decoder reads it, so older nodes do
// too; larger frames stay compressed. The sizes cross the frame content
// size's 1-byte and 2-byte forms.
func TestSmallFramesStored(t *testing.T) {
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, n := range []int{0, 1, 2, 3, 4, 10, 20, 21, 200} {
		ops := sampleOps(n)
		frame := replicate.EncodeFrame(nil, ops)
		rawLen := binary.BigEndian.Uint32(frame[10:])
		body := frame[22:]
		raw, err := dec.DecodeAll(body, nil)
		if err != nil || uint32(len(raw)) != rawLen {
			t.Fatalf("%d ops: zstd reads %d of %d bytes: %v", n, len(raw), rawLen, err)
		}
		stored := len(body) > len(raw)
		if want := rawLen <= 2048; stored != want {
			t.Errorf("%d ops (%d bytes): stored %v, want %v (body %d bytes)", n, rawLen, stored, want, len(body))
		}
		got, err := replicate.NewFrameReader(bytes.NewReader(frame)).Next()
		if err != nil {
			t.Fatalf("%d ops: %v", n, err)
		}
		if len(got) != n || (n > 0 && !reflect.DeepEqual(got, ops)) {
			t.Fatalf("%d ops: read back %d ops", n, len(got))
		}
	}
}
