package marc

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"unicode/utf8"
)

// This file parses one ISO 2709 record: a 24-byte leader, a directory of
// 12-byte entries (tag, field length, field start) ending in a field
// terminator, then the fields, each ending in a field terminator, and a
// record terminator. Every length and offset is checked against the data
// before use.

// atoi parses a non-empty run of ASCII digits.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// digitAt returns leader position i as a number, or def if it is not a
// digit from 1 to 9 (0 is not a usable length).
func digitAt(leader []byte, i, def int) int {
	if c := leader[i]; c >= '1' && c <= '9' {
		return int(c - '0')
	}
	return def
}

// validTag reports whether tag is three ASCII letters or digits.
func validTag(tag string) bool {
	if len(tag) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := tag[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// validCode reports whether c may be a subfield code or indicator.
func validCode(c byte) bool { return c >= 0x20 && c < 0x7f }

// Unmarshal parses one ISO 2709 record, including its record terminator,
// decoding its text as EncodingAuto does. Damage that the reader repairs
// (see Reader.Warnings) is repaired here too, silently.
func Unmarshal(data []byte) (*Record, error) {
	rec, _, err := parseISO(data, EncodingAuto)
	return rec, err
}

// How far the structure of a record may be off and still be repaired.
const (
	// lengthSlack is how many bytes the leader's record length may differ
	// from where the record terminator actually is. It is kept far below
	// the size of a record, so that a record that lost its terminator is
	// not read together with the next one.
	lengthSlack = 10
	// entrySlack is how many bytes a directory entry's start or end may
	// be off from the field terminators around the field it names.
	entrySlack = 2
	// maxWarnings caps the warnings kept for one record.
	maxWarnings = 20
)

// parseISO parses one complete ISO 2709 record ending in 0x1D. Like YAZ,
// it keeps a record whose leader length is off by a few bytes, whose
// directory entry is off by one or two, or whose last field lacks its
// terminator, and says so in the warnings it returns (Record and Offset
// left zero for the caller to fill in).
func parseISO(data []byte, enc Encoding) (*Record, []Warning, error) {
	var warns []Warning
	warn := func(tag, format string, args ...any) {
		if len(warns) < maxWarnings {
			warns = append(warns, Warning{Field: tag, Msg: fmt.Sprintf(format, args...)})
		} else if len(warns) == maxWarnings {
			warns = append(warns, Warning{Msg: "more warnings left out"})
		}
	}
	if len(data) < leaderLen+2 {
		return nil, nil, fmt.Errorf("record too short (%d bytes)", len(data))
	}
	if data[len(data)-1] != recordTerminator {
		return nil, nil, errors.New("missing record terminator")
	}
	length, ok := atoi(data[0:5])
	if !ok {
		return nil, nil, fmt.Errorf("record length %q is not a number", data[0:5])
	}
	if length != len(data) {
		if length < len(data)-lengthSlack || length > len(data)+lengthSlack {
			return nil, nil, fmt.Errorf("leader gives record length %d but the record terminator is at byte %d", length, len(data))
		}
		warn("", "leader gives record length %d but the record terminator is at byte %d: read up to the terminator", length, len(data))
	}
	base, ok := atoi(data[12:17])
	if !ok {
		return nil, nil, fmt.Errorf("base address %q is not a number", data[12:17])
	}
	if base <= leaderLen || base >= len(data) {
		return nil, nil, fmt.Errorf("base address %d outside the record (%d bytes)", base, len(data))
	}
	if data[base-1] != fieldTerminator {
		return nil, nil, errors.New("directory does not end in a field terminator at the base address")
	}
	lenLen, posLen := digitAt(data, 20, 4), digitAt(data, 21, 5)
	entryLen := 3 + lenLen + posLen + digitAt(data, 22, 0)
	dir := data[leaderLen : base-1]
	if len(dir)%entryLen != 0 {
		return nil, nil, fmt.Errorf("directory length %d is not a multiple of %d", len(dir), entryLen)
	}
	utf, encWarn := chooseEncoding(data, base, enc)
	if encWarn != "" {
		warn("", "%s", encWarn)
	}
	td := textDecoder{utf: utf, data: data, str: string(data)}
	rec := &Record{Leader: cleanLeader(td.str[:leaderLen]), Fields: make([]Field, 0, len(dir)/entryLen)}
	end := len(data) - 1 // data area ends before the record terminator
	var terms []int      // field terminators of the data area, found when first needed
	for i := 0; i < len(dir); i += entryLen {
		e := dir[i : i+entryLen]
		n := i/entryLen + 1
		tag := td.str[leaderLen+i : leaderLen+i+3]
		if !validTag(tag) {
			return nil, nil, fmt.Errorf("directory entry %d: invalid tag %q", n, tag)
		}
		flen, ok1 := atoi(e[3 : 3+lenLen])
		fpos, ok2 := atoi(e[3+lenLen : 3+lenLen+posLen])
		if !ok1 || !ok2 {
			return nil, nil, fmt.Errorf("field %s: length or position %q is not a number", tag, e[3:3+lenLen+posLen])
		}
		start := base + fpos
		stop := start + flen - 1 // where the field terminator should be
		switch {
		case flen >= 1 && stop < end && data[stop] == fieldTerminator && bytes.IndexByte(data[start:stop], fieldTerminator) < 0:
			// as the directory says
		case start < end && stop >= end-1 && stop <= end && bytes.IndexByte(data[start:end], fieldTerminator) < 0:
			// The last field, cut off by the record terminator.
			warn(tag, "field has no field terminator: read up to the record terminator")
			stop = end
		default:
			if terms == nil {
				terms = fieldTerminators(data, base, end)
			}
			s, t, ok := nearField(terms, base, start, stop)
			if !ok {
				switch {
				case flen < 1 || stop >= end:
					return nil, nil, fmt.Errorf("field %s: %d bytes at %d run past the end of the record", tag, flen, start)
				case data[stop] != fieldTerminator:
					return nil, nil, fmt.Errorf("field %s does not end in a field terminator", tag)
				}
				return nil, nil, fmt.Errorf("field %s overlaps another field", tag)
			}
			warn(tag, "directory entry %d says %d bytes at %d; read the field between its terminators, %d bytes at %d", n, flen, fpos, t-s+1, s-base)
			start, stop = s, t
		}
		td.m8.reset()
		td.tag = tag
		if IsControlTag(tag) {
			rec.Fields = append(rec.Fields, Field{Tag: tag, Value: td.text(start, stop)})
		} else {
			f, err := td.dataField(tag, start, stop)
			if err != nil {
				return nil, nil, err
			}
			rec.Fields = append(rec.Fields, f)
		}
		for _, w := range td.warns {
			warn(w.Field, "%s", w.Msg)
		}
		td.warns = td.warns[:0]
	}
	return rec, warns, nil
}

// fieldTerminators returns the positions of the field terminators in
// data[base:end].
func fieldTerminators(data []byte, base, end int) []int {
	terms := []int{}
	for p := base; p < end; {
		j := bytes.IndexByte(data[p:end], fieldTerminator)
		if j < 0 {
			break
		}
		terms = append(terms, p+j)
		p += j + 1
	}
	return terms
}

// nearField finds the field (the bytes after one terminator, or the base
// address, up to and including the next terminator) whose start and end
// are both within entrySlack bytes of start and stop, the span a
// directory entry gives. It returns the field's start and the position of
// its terminator.
func nearField(terms []int, base, start, stop int) (int, int, bool) {
	i := sort.SearchInts(terms, stop-entrySlack)
	for ; i < len(terms) && terms[i] <= stop+entrySlack; i++ {
		s := base
		if i > 0 {
			s = terms[i-1] + 1
		}
		if s >= start-entrySlack && s <= start+entrySlack && terms[i] > s {
			return s, terms[i], true
		}
	}
	return 0, 0, false
}

// textDecoder turns the text of one ISO 2709 record into strings. Text
// that needs no conversion is returned as a substring of str, the whole
// record, to save allocations.
type textDecoder struct {
	utf   bool
	data  []byte
	str   string
	m8    marc8Decoder
	tag   string    // the field being decoded, for warnings
	warns []Warning // what decoding the field dropped or repaired
}

func (td *textDecoder) warn(format string, args ...any) {
	td.warns = append(td.warns, Warning{Field: td.tag, Msg: fmt.Sprintf(format, args...)})
}

// text decodes data[start:stop].
func (td *textDecoder) text(start, stop int) string {
	b := td.data[start:stop]
	if td.utf {
		if utf8.Valid(b) && !hasC1(b) && !needsNFC(td.str[start:stop]) {
			return td.str[start:stop]
		}
		return td.cleanUTF8(b)
	}
	if td.m8.g0 == (charset{final: setASCII}) && plainASCII(b) {
		return td.str[start:stop]
	}
	s := td.m8.decode(b)
	for _, w := range td.m8.warns {
		td.warn("%s", w)
	}
	td.m8.warns = td.m8.warns[:0]
	return s
}

// dataField splits a data field at data[start:stop] (without its
// terminator) into indicators and subfields. Text with no subfield
// delimiter at all is kept as subfield a; text before the first
// delimiter of a field that has some is dropped. Both are reported.
func (td *textDecoder) dataField(tag string, start, stop int) (Field, error) {
	if stop-start < 2 {
		return Field{}, fmt.Errorf("field %s is too short to hold indicators", tag)
	}
	f := Field{Tag: tag, Ind1: indicatorByte(td.data[start]), Ind2: indicatorByte(td.data[start+1])}
	if !validCode(f.Ind1) || !validCode(f.Ind2) {
		return Field{}, fmt.Errorf("field %s: invalid indicators %q", tag, td.data[start:start+2])
	}
	content := td.data[start+2 : stop]
	first := bytes.IndexByte(content, subfieldDelimiter)
	if first < 0 {
		if len(content) > 0 {
			// YAZ takes the first byte for a subfield code here, which
			// mangles the text; keep it whole instead.
			td.warn("no subfield delimiter: the text is kept as subfield a")
			f.Subfields = []Subfield{{Code: 'a', Value: td.text(start+2, stop)}}
		}
		return f, nil
	}
	if first > 0 {
		td.warn("dropped %d bytes before the first subfield delimiter", first)
	}
	f.Subfields = make([]Subfield, 0, bytes.Count(content, []byte{subfieldDelimiter}))
	pos := start + 2 + first + 1 // after the delimiter
	for pos <= stop {
		next := bytes.IndexByte(td.data[pos:stop], subfieldDelimiter)
		end := stop
		if next >= 0 {
			end = pos + next
		}
		if end > pos { // else two delimiters in a row: an empty subfield
			code := td.data[pos]
			if !validCode(code) {
				return Field{}, fmt.Errorf("field %s: invalid subfield code 0x%02x", tag, code)
			}
			f.Subfields = append(f.Subfields, Subfield{Code: code, Value: td.text(pos+1, end)})
		}
		pos = end + 1
	}
	if len(f.Subfields) == 0 {
		f.Subfields = nil
	}
	return f, nil
}

// indicatorByte reads NUL, which some systems write, as blank.
func indicatorByte(c byte) byte {
	if c == 0 {
		return ' '
	}
	return c
}

// chooseEncoding decides how to decode the record's text. Leader/09 is
// believed only when the text agrees with it: a record said to be MARC-8
// whose text is valid UTF-8 with multi-byte characters (and no escape
// sequences) is read as UTF-8, and one said to be UTF-8 whose text is not
// UTF-8 but reads as MARC-8 is read as MARC-8. The second result, if not
// empty, says which of these happened.
func chooseEncoding(data []byte, base int, enc Encoding) (bool, string) {
	switch enc {
	case EncodingUTF8:
		return true, ""
	case EncodingMARC8:
		return false, ""
	}
	declared := data[9] == 'a'
	body := data[base:]
	high := false
	for _, c := range body {
		if c >= 0x80 {
			high = true
			break
		}
	}
	esc := bytes.IndexByte(body, 0x1b) >= 0
	if !high && !esc {
		return declared, "" // plain ASCII: both decodings agree
	}
	valid := high && utf8.Valid(body)
	switch {
	case declared && !valid && (esc || marc8Like(body)):
		return false, "leader/09 says UTF-8 but the text is not UTF-8 and reads as MARC-8: read as MARC-8"
	case declared:
		return true, ""
	case valid && !esc:
		return true, "leader/09 says MARC-8 but the text is valid UTF-8: read as UTF-8"
	}
	return false, ""
}

// marc8Like reports whether every byte of b above 0x7F is a character of
// MARC-8's default G1 set (ANSEL) or one of its C1 controls.
func marc8Like(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 && c1Control(c) == 0 && (c < 0xa1 || c > 0xfe || marc8ANSEL[c-0xa1] == 0) {
			return false
		}
	}
	return true
}

// hasC1 reports whether UTF-8 text b holds a C1 control character
// (U+0080-U+009F, two bytes starting 0xC2).
func hasC1(b []byte) bool {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0xc2 && b[i+1] >= 0x80 && b[i+1] <= 0x9f {
			return true
		}
	}
	return false
}

// cleanUTF8 returns UTF-8 text b as a string in NFC. Invalid bytes and C1
// controls other than the non-sort markers U+0098 and U+009C (Windows-1252
// debris, as stray as in MARC-8 text) are dropped and reported.
func (td *textDecoder) cleanUTF8(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			td.warn("dropped byte 0x%02X, which is not UTF-8", b[i])
		case r >= 0x80 && r <= 0x9f && r != 0x98 && r != 0x9c:
			td.warn("dropped C1 control character U+%04X", r)
		default:
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return normalizeNFC(string(out))
}
