package marc

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MARC-8 is the ISO 2022-style encoding of pre-Unicode MARC 21 records
// (leader/09 blank). Graphic sets are designated into two working sets:
// G0 for bytes 0x21-0x7E (default: ASCII) and G1 for bytes 0xA1-0xFE
// (default: ANSEL extended Latin). Escape sequences switch them:
//
//	ESC ( F, ESC , F   designate the one-byte set F as G0
//	ESC ) F, ESC - F   designate the one-byte set F as G1
//	ESC $ F, ESC $ , F designate the three-byte set F as G0 (F = 1: CJK EACC)
//	ESC $ ) F, ESC $ - F  … as G1
//	ESC g, ESC b, ESC p   Greek symbols, subscripts, superscripts as G0
//	ESC s                 back to ASCII as G0
//
// An optional intermediate '!' before F is accepted (ESC ) ! E). Combining
// marks precede their base character in MARC-8 and follow it in Unicode;
// the decoder reorders them and then composes to NFC.
//
// What cannot be decoded is dropped and reported (see marc8Decoder.warns),
// as YAZ drops it: undefined positions of a set, C1 control bytes other
// than the four MARC-8 defines (stray Windows-1252 bytes such as 0x92),
// EACC codes missing from the table, and combining marks left without a
// base character at the end of the text (a subfield). A mark followed by a
// space stays on the space, as YAZ leaves it: that is how MARC-8 and
// Unicode both write a diacritic standing alone. Only characters of a set
// this package has no table for (an unknown final byte) become U+FFFD, one
// per character, so that the reader sees that text was there.

// The final bytes of the character sets this package can decode.
const (
	setASCII        = 'B'
	setANSEL        = 'E'
	setGreekSymbols = 'g'
	setSubscript    = 'b'
	setSuperscript  = 'p'
	setHebrew       = '2'
	setCyrillic     = 'N'
	setExtCyrillic  = 'Q'
	setArabic       = '3'
	setExtArabic    = '4'
	setGreek        = 'S'
	setEACC         = '1'
)

// charset is a designated graphic set: its final byte and whether each
// character takes three bytes.
type charset struct {
	final byte
	multi bool
}

// marc8Decoder converts MARC-8 bytes to UTF-8. Its designations persist
// from one call to the next until reset, which callers do at the start of
// each field.
type marc8Decoder struct {
	g0, g1 charset
	out    []rune   // scratch, reused between calls
	marks  []rune   // combining marks waiting for their base character
	mixed  bool     // out holds combining marks, so NFC is needed
	warns  []string // what decode dropped; the caller reads and clears it
}

// DecodeMARC8 converts the MARC-8 text of one field (or subfield) to
// UTF-8 in NFC, starting from the default sets (ASCII G0, ANSEL G1).
func DecodeMARC8(b []byte) string {
	var d marc8Decoder
	d.reset()
	return d.decode(b)
}

func (d *marc8Decoder) reset() {
	d.g0 = charset{final: setASCII}
	d.g1 = charset{final: setANSEL}
}

// table returns the code table of a one-byte set, or nil.
func (cs charset) table() *[94]rune {
	if cs.multi {
		return nil
	}
	switch cs.final {
	case setANSEL:
		return &marc8ANSEL
	case setGreekSymbols:
		return &marc8GreekSymbols
	case setSubscript:
		return &marc8Subscript
	case setSuperscript:
		return &marc8Superscript
	case setHebrew:
		return &marc8Hebrew
	case setCyrillic:
		return &marc8Cyrillic
	case setExtCyrillic:
		return &marc8ExtCyrillic
	case setArabic:
		return &marc8Arabic
	case setExtArabic:
		return &marc8ExtArabic
	case setGreek:
		return &marc8Greek
	}
	return nil
}

// lookup maps a graphic byte (either half) through set cs. It returns 0
// for undefined positions, -1 for bytes that produce nothing and U+FFFD
// for the characters of sets without a table.
func (cs charset) lookup(c byte) rune {
	c &= 0x7f
	if cs.final == setASCII && !cs.multi {
		return rune(c)
	}
	if t := cs.table(); t != nil {
		return t[c-0x21]
	}
	return utf8.RuneError // a set this package has no table for
}

// plainASCII reports whether b needs no conversion when G0 is ASCII.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x7f || c == 0x1b {
			return false
		}
	}
	return true
}

// decode converts b, which must not be split inside an escape sequence
// or multi-byte character, to a UTF-8 string in NFC.
func (d *marc8Decoder) decode(b []byte) string {
	if d.g0 == (charset{final: setASCII}) && plainASCII(b) {
		return string(b)
	}
	d.out, d.marks, d.mixed = d.out[:0], d.marks[:0], false
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0x1b:
			i = d.escape(b, i)
			continue
		case c <= 0x20:
			d.emit(rune(c)) // controls and space are the same in every set
		case c < 0x7f:
			i = d.graphic(d.g0, b, i)
			continue
		case c == 0x7f:
			// DEL is no character in any set; drop it as yaz does.
		case c == 0xa0 || c == 0xff:
			d.warnf("dropped byte 0x%02X (no character in any MARC-8 set)", c)
		case c < 0xa0:
			if r := c1Control(c); r != 0 {
				d.emit(r)
			} else {
				d.warnf("dropped stray C1 control byte 0x%02X", c)
			}
		default:
			i = d.graphic(d.g1, b, i)
			continue
		}
		i++
	}
	for _, m := range d.marks { // marks that no base character followed
		d.warnf("dropped combining mark U+%04X with no base character after it", m)
	}
	d.marks = d.marks[:0]
	if d.mixed {
		d.out = composeNFC(d.out)
	}
	return string(d.out)
}

// graphic decodes the character at b[i] in set cs and returns the index
// after it.
func (d *marc8Decoder) graphic(cs charset, b []byte, i int) int {
	if cs.multi {
		if i+3 > len(b) {
			d.warnf("dropped %d bytes of a truncated three-byte character", len(b)-i)
			return len(b)
		}
		if cs.final != setEACC {
			d.warnf("three-byte character of MARC-8 set %q, which has no code table here, read as U+FFFD", cs.final)
			d.emit(utf8.RuneError)
		} else if r := eaccLookup(b[i], b[i+1], b[i+2]); r != 0 {
			d.emit(r)
		} else {
			d.warnf("dropped EACC code %02X%02X%02X, which is not in the code table", b[i]&0x7f, b[i+1]&0x7f, b[i+2]&0x7f)
		}
		return i + 3
	}
	switch r := cs.lookup(b[i]); r {
	case 0:
		d.warnf("dropped byte 0x%02X, undefined in MARC-8 set %q", b[i], cs.final)
	case utf8.RuneError:
		d.warnf("byte 0x%02X of MARC-8 set %q, which has no code table here, read as U+FFFD", b[i], cs.final)
		d.emit(r)
	default:
		d.emit(r)
	}
	return i + 1
}

// warnf records something decode dropped.
func (d *marc8Decoder) warnf(format string, args ...any) {
	d.warns = append(d.warns, fmt.Sprintf(format, args...))
}

// eaccLookup returns the character of a three-byte EACC code (either
// half), or 0 if the code table has none.
func eaccLookup(b1, b2, b3 byte) rune {
	key := [3]byte{b1 & 0x7f, b2 & 0x7f, b3 & 0x7f}
	lo, hi := 0, eaccRows
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		row := eaccTable[m*6 : m*6+6]
		switch {
		case row[0] < key[0] || row[0] == key[0] && (row[1] < key[1] || row[1] == key[1] && row[2] < key[2]):
			lo = m + 1
		case row[0] == key[0] && row[1] == key[1] && row[2] == key[2]:
			return rune(row[3])<<16 | rune(row[4])<<8 | rune(row[5])
		default:
			hi = m
		}
	}
	return 0
}

// c1Control maps the MARC-8 C1 controls that have a Unicode equivalent.
func c1Control(c byte) rune {
	switch c {
	case 0x88: // non-sort begin
		return 0x98
	case 0x89: // non-sort end
		return 0x9c
	case 0x8d:
		return 0x200d // zero width joiner
	case 0x8e:
		return 0x200c // zero width non-joiner
	}
	return 0
}

// isCombining reports whether r is written before its base in MARC-8.
// U+0670 (Arabic superscript alef) is a spacing character in the LoC
// MARC-8 table though Unicode classes it as a mark.
func isCombining(r rune) bool {
	return r >= 0x300 && r != 0x670 && unicode.Is(unicode.Mn, r)
}

// emit outputs r, holding combining marks back until their base arrives.
func (d *marc8Decoder) emit(r rune) {
	switch {
	case r < 0:
		return
	case isCombining(r):
		d.marks = append(d.marks, r)
		d.mixed = true
		return
	case r >= 0x300 && !d.mixed && mayChange(r):
		d.mixed = true // say, a CJK compatibility ideograph from EACC
	}
	d.out = append(d.out, r)
	if len(d.marks) > 0 {
		d.out = append(d.out, d.marks...)
		d.marks = d.marks[:0]
	}
}

// escape interprets the escape sequence at b[i] and returns the index
// after it. An unrecognised or truncated sequence is dropped together with
// the byte that follows ESC.
func (d *marc8Decoder) escape(b []byte, i int) int {
	at := func(j int) byte {
		if j < len(b) {
			return b[j]
		}
		return 0
	}
	j := i + 1
	switch c := at(j); c {
	case setGreekSymbols, setSubscript, setSuperscript:
		d.g0 = charset{final: c}
		return j + 1
	case 's':
		d.g0 = charset{final: setASCII}
		return j + 1
	case '(', ',', ')', '-', '$':
		multi := c == '$'
		g1 := c == ')' || c == '-'
		j++
		if multi {
			switch at(j) {
			case '(', ',':
				j++
			case ')', '-':
				g1 = true
				j++
			}
		}
		if at(j) == '!' {
			j++
		}
		f := at(j)
		if f < 0x21 || f > 0x7e {
			return min(j, len(b)) // truncated: drop it
		}
		if g1 {
			d.g1 = charset{final: f, multi: multi}
		} else {
			d.g0 = charset{final: f, multi: multi}
		}
		return j + 1
	}
	return min(j+1, len(b))
}
