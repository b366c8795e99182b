package rfid

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ISO 28560-2 stores data elements one after another from the start of
// user memory, each as
//
//	precursor  bit 8: an offset byte follows; bits 7-5: compaction
//	           scheme; bits 4-1: relative OID (1-14; 15: the next byte
//	           holds the OID minus 15)
//	[OID]      only when bits 4-1 are 15
//	[offset]   only with bit 8: pad bytes after the data (to end the
//	           element on a block boundary, so it can be locked)
//	length     bytes of compacted data
//	data, pad
//
// A precursor of 0 ends the elements. Relative OIDs (ISO 28560-1): 1
// primary item identifier, 2 content parameter, 3 owner institution
// (ISIL), 4 set information, 5 type of usage, 6 shelf location, ...

// Relative OIDs of the data elements this package interprets.
const (
	OIDItemID       = 1
	OIDContent      = 2
	OIDOwner        = 3
	OIDSetInfo      = 4
	OIDTypeOfUsage  = 5
	OIDShelfLocator = 6
)

// Compaction schemes (ISO/IEC 15962) of the precursor's bits 7-5.
const (
	CompactApplication = iota // application-defined
	CompactInteger            // unsigned big-endian integer of a digit string without leading zeros
	CompactNumeric            // decimal digits, two per byte, a 0xF nibble pads an odd count
	Compact5Bit               // A-Z and @[\]^_ : the low 5 bits of each character
	Compact6Bit               // space to _ (0x20-0x5F): the low 6 bits
	Compact7Bit               // US-ASCII, 7 bits each
	CompactOctet              // bytes (ISO/IEC 8859-1)
	CompactUTF8               // UTF-8 string
)

// Element is one ISO 28560-2 data element: relative OID, compaction
// scheme and the compacted bytes.
type Element struct {
	OID        int
	Compaction int
	Data       []byte
}

// DecodeOID reads ISO 28560-2 data from a tag's user memory.
func DecodeOID(mem []byte) (*Tag, error) {
	if isBlank(mem) {
		return nil, ErrBlank
	}
	els, err := ParseElements(mem)
	if err != nil {
		return nil, err
	}
	t := &Tag{Format: FormatOID, PartsInSet: 1, PartNumber: 1}
	for _, e := range els {
		if err := t.setElement(e); err != nil {
			return nil, fmt.Errorf("OID %d: %w", e.OID, err)
		}
	}
	if t.ItemID == "" {
		return nil, fmt.Errorf("%w: no primary item identifier", ErrMalformed)
	}
	return t, nil
}

func (t *Tag) setElement(e Element) error {
	switch {
	case e.OID == OIDItemID && e.Compaction != CompactApplication:
		s, err := Decompact(e.Compaction, e.Data)
		t.ItemID = s
		return err
	case e.OID == OIDOwner && e.Compaction != CompactApplication:
		s, err := Decompact(e.Compaction, e.Data)
		t.Owner = s
		if i := strings.IndexByte(s, '-'); i == 2 {
			t.Country = s[:2]
		}
		return err
	case e.OID == OIDSetInfo && e.Compaction != CompactApplication:
		s, err := Decompact(e.Compaction, e.Data)
		if err != nil {
			return err
		}
		if len(s) == 0 || len(s)%2 != 0 || len(s) > 6 {
			return fmt.Errorf("%w: set information %q", ErrMalformed, s)
		}
		parts, err1 := strconv.Atoi(s[:len(s)/2])
		part, err2 := strconv.Atoi(s[len(s)/2:])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%w: set information %q", ErrMalformed, s)
		}
		t.PartsInSet, t.PartNumber = parts, part
		return nil
	case e.OID == OIDTypeOfUsage && e.Compaction == CompactApplication && len(e.Data) == 1:
		t.Usage = e.Data[0]
		return nil
	}
	t.Other = append(t.Other, e)
	return nil
}

// ParseElements splits ISO 28560-2 memory into its data elements.
func ParseElements(mem []byte) ([]Element, error) {
	var out []Element
	i := 0
	for i < len(mem) {
		p := mem[i]
		if p == 0 {
			break
		}
		i++
		e := Element{Compaction: int(p>>4) & 7, OID: int(p & 0x0F)}
		if e.OID == 15 {
			if i >= len(mem) {
				return nil, fmt.Errorf("%w: truncated OID at byte %d", ErrMalformed, i)
			}
			e.OID = 15 + int(mem[i])
			i++
		}
		pad := 0
		if p&0x80 != 0 {
			if i >= len(mem) {
				return nil, fmt.Errorf("%w: truncated offset at byte %d", ErrMalformed, i)
			}
			pad = int(mem[i])
			i++
		}
		if i >= len(mem) {
			return nil, fmt.Errorf("%w: truncated length at byte %d", ErrMalformed, i)
		}
		n := int(mem[i])
		i++
		if n == 0 || i+n+pad > len(mem) {
			return nil, fmt.Errorf("%w: element of OID %d overruns the memory", ErrMalformed, e.OID)
		}
		e.Data = append([]byte(nil), mem[i:i+n]...)
		i += n + pad
		out = append(out, e)
	}
	return out, nil
}

// EncodeOID writes t as ISO 28560-2 into size bytes of user memory: the
// primary item identifier first (padded to end on a 4-byte block, so it
// can be locked), then the owner ISIL, the set information (for a set),
// the type of usage, and t.Other; each string in its most compact scheme.
func EncodeOID(t *Tag, size int) ([]byte, error) {
	if t.ItemID == "" {
		return nil, fmt.Errorf("%w: no item identifier", ErrMalformed)
	}
	var els []Element
	add := func(oid int, s string) error {
		c, d, err := Compact(s)
		if err != nil {
			return err
		}
		els = append(els, Element{OID: oid, Compaction: c, Data: d})
		return nil
	}
	if err := add(OIDItemID, t.ItemID); err != nil {
		return nil, err
	}
	if t.Owner != "" {
		if err := add(OIDOwner, t.Owner); err != nil {
			return nil, err
		}
	}
	if t.PartsInSet > 1 || t.PartNumber > 1 {
		if t.PartsInSet > 999 || t.PartNumber > 999 || t.PartNumber < 1 {
			return nil, fmt.Errorf("%w: part %d of %d", ErrMalformed, t.PartNumber, t.PartsInSet)
		}
		f := "%02d%02d"
		if t.PartsInSet > 99 || t.PartNumber > 99 {
			f = "%03d%03d"
		}
		d, err := compactNumeric(fmt.Sprintf(f, t.PartsInSet, t.PartNumber))
		if err != nil {
			return nil, err
		}
		els = append(els, Element{OID: OIDSetInfo, Compaction: CompactNumeric, Data: d})
	}
	if t.Usage != 0 {
		els = append(els, Element{OID: OIDTypeOfUsage, Compaction: CompactApplication, Data: []byte{t.Usage}})
	}
	els = append(els, t.Other...)
	out := make([]byte, 0, size)
	for i, e := range els {
		if len(e.Data) == 0 || len(e.Data) > 255 || e.Compaction < 0 || e.Compaction > 7 || e.OID < 1 || e.OID > 15+255 {
			return nil, fmt.Errorf("%w: element of OID %d", ErrMalformed, e.OID)
		}
		head := []byte{byte(e.Compaction) << 4}
		if e.OID >= 15 {
			head[0] |= 15
			head = append(head, byte(e.OID-15))
		} else {
			head[0] |= byte(e.OID)
		}
		pad := 0
		if i == 0 {
			if n := (len(head) + 2 + len(e.Data)) % 4; n != 0 {
				pad = 4 - n
			}
			head[0] |= 0x80
			head = append(head, byte(pad))
		}
		out = append(out, head...)
		out = append(out, byte(len(e.Data)))
		out = append(out, e.Data...)
		out = append(out, make([]byte, pad)...)
	}
	if len(out) > size {
		return nil, fmt.Errorf("%w: %d bytes of data for %d bytes of memory", ErrTooLong, len(out), size)
	}
	return append(out, make([]byte, size-len(out))...), nil
}

// Compact encodes s in the shortest scheme that holds it exactly.
func Compact(s string) (scheme int, data []byte, err error) {
	if s == "" {
		return 0, nil, fmt.Errorf("%w: empty value", ErrMalformed)
	}
	best := -1
	for c := CompactInteger; c <= CompactUTF8; c++ {
		d, err := compactWith(c, s)
		if err != nil || len(d) == 0 || len(d) > 255 {
			continue
		}
		if back, err := Decompact(c, d); err != nil || back != s {
			continue
		}
		if best < 0 || len(d) < len(data) {
			best, data = c, d
		}
	}
	if best < 0 {
		return 0, nil, fmt.Errorf("%w: %q cannot be encoded", ErrUnsupported, s)
	}
	return best, data, nil
}

func compactWith(c int, s string) ([]byte, error) {
	switch c {
	case CompactInteger:
		if len(s) > 1 && s[0] == '0' || !allDigits(s) {
			return nil, ErrUnsupported
		}
		n, _ := new(big.Int).SetString(s, 10)
		if n.Sign() == 0 {
			return []byte{0}, nil
		}
		return n.Bytes(), nil
	case CompactNumeric:
		return compactNumeric(s)
	case Compact5Bit:
		return packBits(s, 5, func(r byte) (byte, bool) { return r & 0x1F, r >= 0x40 && r <= 0x5F })
	case Compact6Bit:
		return packBits(s, 6, func(r byte) (byte, bool) { return r & 0x3F, r >= 0x20 && r <= 0x5F })
	case Compact7Bit:
		return packBits(s, 7, func(r byte) (byte, bool) { return r, r < 0x80 })
	case CompactOctet:
		var out []byte
		for _, r := range s {
			if r > 0xFF {
				return nil, ErrUnsupported
			}
			out = append(out, byte(r))
		}
		return out, nil
	case CompactUTF8:
		if !utf8.ValidString(s) {
			return nil, ErrUnsupported
		}
		return []byte(s), nil
	}
	return nil, ErrUnsupported
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func compactNumeric(s string) ([]byte, error) {
	if !allDigits(s) {
		return nil, ErrUnsupported
	}
	out := make([]byte, (len(s)+1)/2)
	for i := range out {
		hi := s[2*i] - '0'
		lo := byte(0xF)
		if 2*i+1 < len(s) {
			lo = s[2*i+1] - '0'
		}
		out[i] = hi<<4 | lo
	}
	return out, nil
}

// packBits packs 5-, 6- or 7-bit codes most significant bit first. The
// unused bits of the last byte are 1s; a whole code of 1s there is pad.
func packBits(s string, width uint, code func(byte) (byte, bool)) ([]byte, error) {
	var acc uint32
	var bits uint
	var out []byte
	for i := 0; i < len(s); i++ {
		c, ok := code(s[i])
		if !ok {
			return nil, ErrUnsupported
		}
		acc = acc<<width | uint32(c)
		bits += width
		for bits >= 8 {
			out = append(out, byte(acc>>(bits-8)))
			bits -= 8
		}
	}
	if bits > 0 {
		out = append(out, byte(acc<<(8-bits))|byte(0xFF>>bits))
	}
	return out, nil
}

func unpackBits(d []byte, width uint, char func(byte) byte) string {
	total := uint(len(d)) * 8
	n := total / width
	all := byte(1)<<width - 1
	var sb strings.Builder
	for k := uint(0); k < n; k++ {
		var c byte
		for j := uint(0); j < width; j++ {
			bit := k*width + j
			c = c<<1 | d[bit/8]>>(7-bit%8)&1
		}
		// The last code is pad when it lies wholly in the last byte's
		// unused bits and is all 1s.
		if k == n-1 && c == all && (k*width+7)/8 == uint(len(d)) {
			break
		}
		sb.WriteByte(char(c))
	}
	return sb.String()
}

// Decompact decodes data compacted with scheme c to a string.
func Decompact(c int, d []byte) (string, error) {
	if len(d) == 0 {
		return "", fmt.Errorf("%w: empty data", ErrMalformed)
	}
	switch c {
	case CompactInteger:
		return new(big.Int).SetBytes(d).String(), nil
	case CompactNumeric:
		var sb strings.Builder
		for i, b := range d {
			for j, nib := range []byte{b >> 4, b & 0x0F} {
				switch {
				case nib <= 9:
					sb.WriteByte('0' + nib)
				case nib == 0xF && j == 1 && i == len(d)-1:
				default:
					return "", fmt.Errorf("%w: numeric nibble %X", ErrMalformed, nib)
				}
			}
		}
		return sb.String(), nil
	case Compact5Bit:
		return unpackBits(d, 5, func(c byte) byte { return 0x40 | c }), nil
	case Compact6Bit:
		return unpackBits(d, 6, func(c byte) byte {
			if c < 0x20 {
				return 0x40 | c
			}
			return c
		}), nil
	case Compact7Bit:
		return unpackBits(d, 7, func(c byte) byte { return c }), nil
	case CompactOctet:
		r := make([]rune, len(d))
		for i, b := range d {
			r[i] = rune(b)
		}
		return string(r), nil
	case CompactUTF8:
		if !utf8.Valid(d) {
			return "", fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
		}
		return string(d), nil
	}
	return "", fmt.Errorf("%w: compaction %d", ErrUnsupported, c)
}
