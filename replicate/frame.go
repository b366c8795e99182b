package replicate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// The node-to-node wire format. A sync stream is a sequence of frames; each
// frame is a batch of ops that is validated and applied whole or not at all.
//
//	magic   "SOPS"        4 bytes
//	version 1             1 byte
//	flags   0             1 byte (reserved)
//	count   uint32        ops in the frame
//	rawLen  uint32        length of the decompressed body
//	bodyLen uint32        length of the compressed body
//	crc     uint32        CRC-32C of the decompressed body
//	body    zstd(ops)     bodyLen bytes
//
// The decompressed body is count ops, each: uvarint origin, counter, hlc;
// then kind, payload, actor, channel as uvarint length + bytes.
const (
	frameMagic   = "SOPS"
	frameVersion = 1
	frameHeader  = 4 + 1 + 1 + 4 + 4 + 4 + 4
	// MaxFrameOps and MaxFrameBytes bound what a decoder accepts.
	MaxFrameOps   = 100_000
	MaxFrameBytes = 64 << 20
)

// ErrBadFrame is wrapped by every frame decoding error.
var ErrBadFrame = errors.New("replicate: bad sync frame")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Encoders are kept in a small free list rather than a sync.Pool: a pool
// drops them at every GC, and a new encoder allocates and clears a window
// of a megabyte or more, which cost a catch-up's server more than encoding.
var encoders = make(chan *zstd.Encoder, 4)

func getEncoder() *zstd.Encoder {
	select {
	case e := <-encoders:
		return e
	default:
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		return e
	}
}

func putEncoder(e *zstd.Encoder) {
	select {
	case encoders <- e:
	default:
	}
}

var (
	decoders = sync.Pool{New: func() any {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxFrameBytes))
		return d
	}}
)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// EncodeFrame appends one frame holding ops to dst.
func EncodeFrame(dst []byte, ops []Op) []byte {
	size := 0
	for _, op := range ops {
		size += 3*binary.MaxVarintLen64 + 4*binary.MaxVarintLen32 + len(op.Kind) + len(op.Payload) + len(op.Actor) + len(op.Channel)
	}
	raw := make([]byte, 0, size)
	for _, op := range ops {
		raw = binary.AppendUvarint(raw, uint64(op.Origin))
		raw = binary.AppendUvarint(raw, op.Counter)
		raw = binary.AppendUvarint(raw, uint64(op.HLC))
		raw = appendString(raw, op.Kind)
		raw = binary.AppendUvarint(raw, uint64(len(op.Payload)))
		raw = append(raw, op.Payload...)
		raw = appendString(raw, op.Actor)
		raw = appendString(raw, op.Channel)
	}
	var body []byte
	if len(raw) <= storedMax {
		body = zstdStored(raw)
	} else {
		enc := getEncoder()
		body = enc.EncodeAll(raw, nil)
		putEncoder(enc)
	}
	var h [frameHeader]byte
	copy(h[:], frameMagic)
	h[4] = frameVersion
	binary.BigEndian.PutUint32(h[6:], uint32(len(ops)))
	binary.BigEndian.PutUint32(h[10:], uint32(len(raw)))
	binary.BigEndian.PutUint32(h[14:], uint32(len(body)))
	binary.BigEndian.PutUint32(h[18:], crc32.Checksum(raw, crcTable))
	dst = append(dst, h[:]...)
	return append(dst, body...)
}

// storedMax is the largest body stored rather than compressed. A frame of
// a few ops (one command's, as central proposes each) gains a few dozen
// bytes from compression at the cost of building entropy tables, about a
// tenth of a millisecond of CPU to encode and decode it on every node.
const storedMax = 2048

// zstdStored is a zstd frame holding raw in one Raw block (RFC 8878,
// 3.1.1): any zstd decoder reads it, ours and older nodes' too, so the
// wire format does not change. raw must be at most 65,791 bytes (the
// 2-byte content size; storedMax is far below it).
func zstdStored(raw []byte) []byte {
	b := make([]byte, 0, 4+1+2+3+len(raw))
	b = append(b, 0x28, 0xB5, 0x2F, 0xFD) // magic number 0xFD2FB528, little-endian
	// Frame header descriptor: a single segment (no window descriptor, the
	// window is the content), no checksum (ours is in the frame header), no
	// dictionary; the content size in 1 byte (flag 0, up to 255) or in 2
	// bytes less 256 (flag 1, 256 to 65791).
	if len(raw) < 256 {
		b = append(b, 0x20, byte(len(raw)))
	} else {
		b = append(b, 0x60)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(raw)-256))
	}
	// One block, the last, of type Raw (0): header bit 0 last, bits 1-2
	// type, bits 3-23 size, little-endian.
	h := uint32(len(raw))<<3 | 1
	b = append(b, byte(h), byte(h>>8), byte(h>>16))
	return append(b, raw...)
}

// FrameReader reads frames from a stream.
type FrameReader struct {
	r   io.Reader
	buf []byte
	// Bytes counts the bytes read so far.
	Bytes int64
}

// NewFrameReader reads frames from r.
func NewFrameReader(r io.Reader) *FrameReader { return &FrameReader{r: r} }

// Next returns the next frame's ops; io.EOF at a clean end of stream. A
// frame cut short, corrupt or from a newer version is an error wrapping
// ErrBadFrame, and none of its ops are returned.
func (fr *FrameReader) Next() ([]Op, error) {
	var h [frameHeader]byte
	n, err := io.ReadFull(fr.r, h[:])
	fr.Bytes += int64(n)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("%w: truncated header (%d of %d bytes)", ErrBadFrame, n, frameHeader)
	}
	if string(h[:4]) != frameMagic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrBadFrame, h[:4])
	}
	if h[4] != frameVersion {
		return nil, fmt.Errorf("%w: version %d, this node speaks %d", ErrBadFrame, h[4], frameVersion)
	}
	count := binary.BigEndian.Uint32(h[6:])
	rawLen := binary.BigEndian.Uint32(h[10:])
	bodyLen := binary.BigEndian.Uint32(h[14:])
	sum := binary.BigEndian.Uint32(h[18:])
	if count > MaxFrameOps || rawLen > MaxFrameBytes || bodyLen > MaxFrameBytes {
		return nil, fmt.Errorf("%w: frame too large (%d ops, %d bytes)", ErrBadFrame, count, rawLen)
	}
	if cap(fr.buf) < int(bodyLen) {
		fr.buf = make([]byte, bodyLen)
	}
	body := fr.buf[:bodyLen]
	n, err = io.ReadFull(fr.r, body)
	fr.Bytes += int64(n)
	if err != nil {
		return nil, fmt.Errorf("%w: truncated body (%d of %d bytes)", ErrBadFrame, n, bodyLen)
	}
	return decodeBody(body, count, rawLen, sum)
}

func decodeBody(body []byte, count, rawLen, sum uint32) ([]Op, error) {
	dec := decoders.Get().(*zstd.Decoder)
	raw, err := dec.DecodeAll(body, make([]byte, 0, rawLen))
	decoders.Put(dec)
	if err != nil {
		return nil, fmt.Errorf("%w: decompress: %v", ErrBadFrame, err)
	}
	if uint32(len(raw)) != rawLen || crc32.Checksum(raw, crcTable) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadFrame)
	}
	ops := make([]Op, 0, count)
	rd := bytes.NewReader(raw)
	for i := uint32(0); i < count; i++ {
		op, err := readOp(rd)
		if err != nil {
			return nil, fmt.Errorf("%w: op %d: %v", ErrBadFrame, i, err)
		}
		ops = append(ops, op)
	}
	if rd.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadFrame, rd.Len())
	}
	return ops, nil
}

func readBytes(rd *bytes.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(rd)
	if err != nil {
		return nil, err
	}
	if n > uint64(rd.Len()) {
		return nil, errors.New("length past end")
	}
	b := make([]byte, n)
	_, err = io.ReadFull(rd, b)
	return b, err
}

func readOp(rd *bytes.Reader) (Op, error) {
	var op Op
	o, err := binary.ReadUvarint(rd)
	if err != nil {
		return op, err
	}
	c, err := binary.ReadUvarint(rd)
	if err != nil {
		return op, err
	}
	h, err := binary.ReadUvarint(rd)
	if err != nil {
		return op, err
	}
	if o == 0 || c == 0 {
		return op, errors.New("zero origin or counter")
	}
	op.Origin, op.Counter, op.HLC = NodeID(o), c, Timestamp(h)
	var fields [4][]byte
	for i := range fields {
		if fields[i], err = readBytes(rd); err != nil {
			return op, err
		}
	}
	op.Kind, op.Payload, op.Actor, op.Channel = string(fields[0]), fields[1], string(fields[2]), string(fields[3])
	if op.Kind == "" {
		return op, errors.New("empty kind")
	}
	return op, nil
}
