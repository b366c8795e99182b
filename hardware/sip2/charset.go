package sip2

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"stacks/branch/domain"
)

// charset is the character set a kiosk speaks, set by its account
// (domain.Staff.Charset) and applied to every message after its login, as
// Koha's and Evergreen's SIP servers let a site choose one per account.
// The zero value is UTF-8, which passes bytes through unchanged.
type charset struct {
	name  string
	cm    *charmap.Charmap // Latin-1 or CP850; nil for UTF-8 and ASCII
	ascii bool
}

// charsetOf is the character set named by a staff account's field; ok is
// false for a name this version does not know (then UTF-8).
func charsetOf(name string) (cs charset, ok bool) {
	switch name {
	case "", domain.CharsetUTF8:
		return charset{}, true
	case domain.CharsetASCII:
		return charset{name: name, ascii: true}, true
	case domain.CharsetLatin1:
		return charset{name: name, cm: charmap.ISO8859_1}, true
	case domain.CharsetCP850:
		return charset{name: name, cm: charmap.CodePage850}, true
	}
	return charset{}, false
}

func (cs charset) utf8() bool { return cs.cm == nil && !cs.ascii }

// encode returns m with its fields in the kiosk's character set (a copy;
// m is not changed). The fixed part is ASCII by definition and stays as it
// is, so its length does too.
func (cs charset) encode(m *Message) *Message {
	if cs.utf8() {
		return m
	}
	r := *m
	r.Fields = make([]Field, len(m.Fields))
	for i, f := range m.Fields {
		r.Fields[i] = Field{Tag: f.Tag, Value: cs.encodeString(f.Value)}
	}
	return &r
}

// encodeString turns UTF-8 text into the character set's bytes. A
// character the set lacks is folded to its letters without accents (é to
// e, ß to ss, Œ to OE), else sent as '?'.
func (cs charset) encodeString(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteByte(byte(r))
			continue
		}
		if cs.cm != nil {
			if c, ok := cs.cm.EncodeRune(r); ok && r != utf8.RuneError {
				b.WriteByte(c)
				continue
			}
		}
		b.WriteString(foldRune(r))
	}
	return b.String()
}

// decodeFields turns the values of m's fields from the character set into
// UTF-8, in place. An ASCII kiosk that sends a byte above 0x7F is read as
// Latin-1, the most common way such a kiosk strays.
func (cs charset) decodeFields(m *Message) {
	if cs.utf8() {
		return
	}
	cm := cs.cm
	if cm == nil {
		cm = charmap.ISO8859_1
	}
	for i, f := range m.Fields {
		if isASCII(f.Value) {
			continue
		}
		var b strings.Builder
		b.Grow(2 * len(f.Value))
		for j := 0; j < len(f.Value); j++ {
			b.WriteRune(cm.DecodeByte(f.Value[j]))
		}
		m.Fields[i].Value = b.String()
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// folded are letters and signs that lose no accent but have an ASCII
// spelling.
var folded = map[rune]string{
	'ß': "ss", 'ẞ': "SS", 'Æ': "AE", 'æ': "ae", 'Œ': "OE", 'œ': "oe", 'Ø': "O", 'ø': "o", 'Ł': "L", 'ł': "l",
	'Đ': "D", 'đ': "d", 'Ð': "D", 'ð': "d", 'Þ': "Th", 'þ': "th", 'ı': "i", 'Ħ': "H", 'ħ': "h",
	'‘': "'", '’': "'", '‚': "'", '“': "\"", '”': "\"", '„': "\"", '«': "\"", '»': "\"", '‹': "'", '›': "'",
	'–': "-", '—': "-", '‐': "-", '…': "...", '€': "EUR", '£': "GBP", '\u00a0': " ", '·': ".", '×': "x",
}

// foldRune is r in ASCII: its base letter without accents, or a spelling
// from folded, else "?".
func foldRune(r rune) string {
	if s, ok := folded[r]; ok {
		return s
	}
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		switch {
		case d < utf8.RuneSelf:
			b.WriteRune(d)
		case unicode.Is(unicode.Mn, d):
			// a combining accent: dropped
		default:
			return "?"
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}
