package rfid

import (
	"bytes"
	"fmt"
)

// The basic block of ISO 28560-3 (the Danish data model), 34 bytes:
//
//	0      version (high nibble, 1) and type of usage (low nibble)
//	1      parts in set (1-255)
//	2      part number (1-parts)
//	3-18   primary item identifier, NUL-padded
//	19-20  CRC-16 (crc16), low byte first, over bytes 0-18 and 21-33
//	21-22  country of the owner library (ISO 3166-1 alpha-2)
//	23-33  ISIL of the owner library, NUL-padded
//
// The common 32-byte tag (eight 4-byte blocks) ends after byte 31, so it
// holds 9 ISIL bytes; the CRC is then computed as if bytes 32-33 were NUL.
// Optional blocks follow from byte 34 on larger tags.
const (
	danishBasic  = 34
	danishTag32  = 32
	danishItemID = 16
	danishISIL   = 11
	danishISIL32 = 9
	danishCRCAt  = 19
)

// Block is an optional block of ISO 28560-3 after the basic block: one
// length byte (the whole block), a 2-byte block ID (low byte first), the
// data, and a checksum byte that makes the XOR of the block's bytes 0.
type Block struct {
	ID   uint16
	Data []byte
}

// DecodeDanish reads the Danish data model from a tag's user memory
// (at least 32 bytes). It accepts the standard order and the vendor
// variants (Quirk): blocks reversed, CRC high byte first, version and
// usage nibbles swapped; Tag.Quirks says which it found.
func DecodeDanish(mem []byte) (*Tag, error) {
	if len(mem) < danishTag32 {
		return nil, ErrShort
	}
	if isBlank(mem[:danishTag32]) {
		return nil, ErrBlank
	}
	for _, rev := range []bool{false, true} {
		m := mem
		var q Quirk
		if rev {
			m, q = reverseBlocks(mem), QuirkBlocksReversed
		}
		var b [danishBasic]byte
		copy(b[:], m)
		want := crc16(b[:danishCRCAt], b[danishCRCAt+2:])
		switch {
		case want == uint16(b[19])|uint16(b[20])<<8:
		case want == uint16(b[20])|uint16(b[19])<<8:
			q |= QuirkCRCMSBFirst
		default:
			continue
		}
		return parseDanish(b, m, q)
	}
	return nil, ErrCRC
}

func parseDanish(b [danishBasic]byte, m []byte, q Quirk) (*Tag, error) {
	t := &Tag{Format: FormatDanish, Quirks: q}
	hi, lo := b[0]>>4, b[0]&0x0F
	switch {
	case hi == 1:
		t.Version, t.Usage = 1, lo<<4
	case lo == 1:
		// Bibliotheca writes the usage first: 0x21 not for circulation,
		// 0x71 discarded. No version but 1 is in use.
		t.Version, t.Usage, t.Quirks = 1, hi<<4, t.Quirks|QuirkNibblesSwapped
	default:
		t.Version, t.Usage = int(hi), lo<<4
	}
	t.PartsInSet, t.PartNumber = int(b[1]), int(b[2])
	t.ItemID = cstring(b[3 : 3+danishItemID])
	t.Country = cstring(b[21:23])
	t.Owner = cstring(b[23:danishBasic])
	if len(m) > danishBasic {
		t.Blocks = parseBlocks(m[danishBasic:])
	}
	return t, nil
}

// parseBlocks reads optional blocks until a zero length byte, the end of
// memory, or a block that does not check (the rest is kept as unread).
func parseBlocks(m []byte) []Block {
	var out []Block
	for len(m) >= 4 {
		n := int(m[0])
		if n < 4 || n > len(m) {
			break
		}
		var x byte
		for _, c := range m[:n] {
			x ^= c
		}
		if x != 0 {
			break
		}
		out = append(out, Block{ID: uint16(m[1]) | uint16(m[2])<<8, Data: bytes.Clone(m[3 : n-1])})
		m = m[n:]
	}
	return out
}

// EncodeDanish writes t in the standard order into size bytes of user
// memory (32 for the common tag; 34 or more for the whole basic block and
// optional blocks). Unused memory is NUL.
func EncodeDanish(t *Tag, size int) ([]byte, error) {
	if size < danishTag32 {
		return nil, fmt.Errorf("%w: %d bytes of user memory", ErrShort, size)
	}
	isil := danishISIL
	if size < danishBasic {
		isil = danishISIL32
	}
	switch {
	case t.ItemID == "":
		return nil, fmt.Errorf("%w: no item identifier", ErrMalformed)
	case len(t.ItemID) > danishItemID:
		return nil, fmt.Errorf("%w: item identifier %q is longer than %d bytes", ErrTooLong, t.ItemID, danishItemID)
	case len(t.Owner) > isil:
		return nil, fmt.Errorf("%w: ISIL %q is longer than %d bytes", ErrTooLong, t.Owner, isil)
	case t.Country != "" && len(t.Country) != 2:
		return nil, fmt.Errorf("%w: country %q is not two letters", ErrMalformed, t.Country)
	case t.PartsInSet < 0 || t.PartsInSet > 255 || t.PartNumber < 0 || t.PartNumber > 255:
		return nil, fmt.Errorf("%w: part %d of %d", ErrMalformed, t.PartNumber, t.PartsInSet)
	}
	var b [danishBasic]byte
	version := t.Version
	if version == 0 {
		version = 1
	}
	b[0] = byte(version)<<4 | t.Usage>>4
	parts, part := t.PartsInSet, t.PartNumber
	if parts == 0 {
		parts = 1
	}
	if part == 0 {
		part = 1
	}
	b[1], b[2] = byte(parts), byte(part)
	copy(b[3:], t.ItemID)
	copy(b[21:], t.Country)
	copy(b[23:], t.Owner)
	crc := crc16(b[:danishCRCAt], b[danishCRCAt+2:])
	b[19], b[20] = byte(crc), byte(crc>>8)
	out := make([]byte, size)
	copy(out, b[:])
	at := danishBasic
	for _, bl := range t.Blocks {
		n := len(bl.Data) + 4
		if n > 255 || at+n > size {
			return nil, fmt.Errorf("%w: optional block %d does not fit", ErrTooLong, bl.ID)
		}
		out[at], out[at+1], out[at+2] = byte(n), byte(bl.ID), byte(bl.ID>>8)
		copy(out[at+3:], bl.Data)
		var x byte
		for _, c := range out[at : at+n-1] {
			x ^= c
		}
		out[at+n-1] = x
		at += n
	}
	return out, nil
}

// reverseBlocks reverses the bytes of each 4-byte block (a trailing
// partial block is kept as it is).
func reverseBlocks(m []byte) []byte {
	out := bytes.Clone(m)
	for i := 0; i+4 <= len(out); i += 4 {
		out[i], out[i+1], out[i+2], out[i+3] = out[i+3], out[i+2], out[i+1], out[i]
	}
	return out
}

// ReverseBlocks returns m with each 4-byte block's bytes reversed: how
// some readers deliver (and some vendors wrote) tag memory.
func ReverseBlocks(m []byte) []byte { return reverseBlocks(m) }

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != 0 && c != 0xFF {
			return false
		}
	}
	return true
}
