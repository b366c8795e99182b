// Package rfid reads and writes library RFID tags (ISO 28560) and drives
// tag readers. It holds the two data models libraries use on HF (ISO
// 15693) tags: the fixed layout of the Danish data model (ISO 28560-3)
// and the object-identifier encoding (ISO 28560-2), with the byte orders
// some vendors wrote; a Reader interface (inventory, read, write,
// security) and a simulated pad; and the rule that decides whether a set
// of parts may leave the library. It links no storage and no cgo, so the
// kiosk imports it.
package rfid

import (
	"errors"
	"fmt"
)

// Format is a tag's data model.
type Format int

const (
	// FormatDanish is the fixed 34-byte basic block of ISO 28560-3 (the
	// Danish data model, DS/INF 163).
	FormatDanish Format = iota + 1
	// FormatOID is the object-identifier encoding of ISO 28560-2.
	FormatOID
)

func (f Format) String() string {
	switch f {
	case FormatDanish:
		return "iso28560-3"
	case FormatOID:
		return "iso28560-2"
	}
	return fmt.Sprintf("format(%d)", int(f))
}

// Usage classes of the type-of-usage data element (the high nibble in ISO
// 28560-2, the usage nibble in ISO 28560-3).
const (
	UsageAcquisition    = 0x0
	UsageCirculating    = 0x1
	UsageNotCirculating = 0x2
	UsageDiscarded      = 0x7
	UsagePatronCard     = 0x8
	UsageEquipment      = 0x9
)

// Quirk is a vendor's deviation from the standard byte order that the
// decoder detected; encoding always writes the standard order.
type Quirk uint8

const (
	// QuirkBlocksReversed: each 4-byte block's bytes come in reverse order
	// (readers that hand over blocks as little-endian words; FKI tags).
	QuirkBlocksReversed Quirk = 1 << iota
	// QuirkCRCMSBFirst: the Danish CRC is stored high byte first.
	QuirkCRCMSBFirst
	// QuirkNibblesSwapped: the Danish first byte has the usage in the high
	// nibble and the version in the low one (Bibliotheca, e.g. 0x21).
	QuirkNibblesSwapped
)

func (q Quirk) String() string {
	var s string
	add := func(b Quirk, name string) {
		if q&b != 0 {
			if s != "" {
				s += ","
			}
			s += name
		}
	}
	add(QuirkBlocksReversed, "blocks-reversed")
	add(QuirkCRCMSBFirst, "crc-msb-first")
	add(QuirkNibblesSwapped, "nibbles-swapped")
	if s == "" {
		return "standard"
	}
	return s
}

// Tag is what a library tag says about its item, in either model.
type Tag struct {
	Format Format
	// Version is the Danish data model version (1); 0 for ISO 28560-2.
	Version int
	// Usage is the type of usage: the class (Usage*) in the high nibble
	// and a sub-qualifier in the low one (ISO 28560-2); ISO 28560-3 has
	// only the class, kept here in the high nibble too.
	Usage byte
	// PartsInSet and PartNumber: part PartNumber of an item in PartsInSet
	// parts (1 and 1 for a single piece).
	PartsInSet, PartNumber int
	// ItemID is the primary item identifier: the barcode.
	ItemID string
	// Country is the owner library's ISO 3166 country (ISO 28560-3).
	Country string
	// Owner is the owner library's ISIL.
	Owner string
	// Blocks are the optional blocks of ISO 28560-3, kept as read.
	Blocks []Block
	// Other holds ISO 28560-2 data elements this package does not
	// interpret, by relative OID, as their compacted bytes.
	Other []Element
	// Quirks are the vendor deviations found when decoding.
	Quirks Quirk
}

// Class is the type-of-usage class (UsageCirculating, ...).
func (t *Tag) Class() int { return int(t.Usage >> 4) }

// Errors of decoding and encoding.
var (
	ErrBlank       = errors.New("rfid: blank tag")
	ErrCRC         = errors.New("rfid: CRC does not match in any known byte order")
	ErrShort       = errors.New("rfid: tag data too short")
	ErrMalformed   = errors.New("rfid: malformed ISO 28560-2 data")
	ErrTooLong     = errors.New("rfid: value too long for the layout")
	ErrUnsupported = errors.New("rfid: unsupported encoding")
)

// DSFIDs that announce ISO 28560-2 data (no-directory access, data format 6).
const (
	DSFID28560_2       = 0x06
	DSFID28560_2Locked = 0x3E
)

// Decode reads a tag's user memory. dsfid is the tag's data storage format
// identifier (ISO 15693): 0x06 or 0x3E mean ISO 28560-2; anything else is
// tried as the Danish model first (its CRC makes a false match very
// unlikely) and then as ISO 28560-2.
func Decode(dsfid byte, mem []byte) (*Tag, error) {
	if dsfid == DSFID28560_2 || dsfid == DSFID28560_2Locked {
		return DecodeOID(mem)
	}
	t, err := DecodeDanish(mem)
	if err == nil || errors.Is(err, ErrBlank) {
		return t, err
	}
	if t2, err2 := DecodeOID(mem); err2 == nil && t2.ItemID != "" {
		return t2, nil
	}
	return nil, err
}
