package marc

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
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
// decoding its text as EncodingAuto does.
func Unmarshal(data []byte) (*Record, error) {
	return parseISO(data, EncodingAuto)
}

// parseISO parses one complete ISO 2709 record ending in 0x1D.
func parseISO(data []byte, enc Encoding) (*Record, error) {
	if len(data) < leaderLen+2 {
		return nil, fmt.Errorf("record too short (%d bytes)", len(data))
	}
	if data[len(data)-1] != recordTerminator {
		return nil, errors.New("missing record terminator")
	}
	length, ok := atoi(data[0:5])
	if !ok {
		return nil, fmt.Errorf("record length %q is not a number", data[0:5])
	}
	if length != len(data) {
		return nil, fmt.Errorf("leader gives record length %d but the record terminator is at byte %d", length, len(data))
	}
	base, ok := atoi(data[12:17])
	if !ok {
		return nil, fmt.Errorf("base address %q is not a number", data[12:17])
	}
	if base <= leaderLen || base >= len(data) {
		return nil, fmt.Errorf("base address %d outside the record (%d bytes)", base, len(data))
	}
	if data[base-1] != fieldTerminator {
		return nil, errors.New("directory does not end in a field terminator at the base address")
	}
	lenLen, posLen := digitAt(data, 20, 4), digitAt(data, 21, 5)
	entryLen := 3 + lenLen + posLen + digitAt(data, 22, 0)
	dir := data[leaderLen : base-1]
	if len(dir)%entryLen != 0 {
		return nil, fmt.Errorf("directory length %d is not a multiple of %d", len(dir), entryLen)
	}
	td := textDecoder{utf: useUTF8(data, base, enc), data: data, str: string(data)}
	rec := &Record{Leader: cleanLeader(td.str[:leaderLen]), Fields: make([]Field, 0, len(dir)/entryLen)}
	end := len(data) - 1 // data area ends before the record terminator
	for i := 0; i < len(dir); i += entryLen {
		e := dir[i : i+entryLen]
		tag := td.str[leaderLen+i : leaderLen+i+3]
		if !validTag(tag) {
			return nil, fmt.Errorf("directory entry %d: invalid tag %q", i/entryLen+1, tag)
		}
		flen, ok1 := atoi(e[3 : 3+lenLen])
		fpos, ok2 := atoi(e[3+lenLen : 3+lenLen+posLen])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("field %s: length or position %q is not a number", tag, e[3:3+lenLen+posLen])
		}
		start := base + fpos
		if flen < 1 || start+flen > end {
			return nil, fmt.Errorf("field %s: %d bytes at %d run past the end of the record", tag, flen, start)
		}
		stop := start + flen - 1 // the field terminator
		if data[stop] != fieldTerminator {
			return nil, fmt.Errorf("field %s does not end in a field terminator", tag)
		}
		if bytes.IndexByte(data[start:stop], fieldTerminator) >= 0 {
			return nil, fmt.Errorf("field %s overlaps another field", tag)
		}
		td.m8.reset()
		if IsControlTag(tag) {
			rec.Fields = append(rec.Fields, Field{Tag: tag, Value: td.text(start, stop)})
			continue
		}
		f, err := td.dataField(tag, start, stop)
		if err != nil {
			return nil, err
		}
		rec.Fields = append(rec.Fields, f)
	}
	return rec, nil
}

// textDecoder turns the text of one ISO 2709 record into strings. Text
// that needs no conversion is returned as a substring of str, the whole
// record, to save allocations.
type textDecoder struct {
	utf  bool
	data []byte
	str  string
	m8   marc8Decoder
}

// text decodes data[start:stop].
func (td *textDecoder) text(start, stop int) string {
	b := td.data[start:stop]
	if td.utf {
		if utf8.Valid(b) && !needsNFC(td.str[start:stop]) {
			return td.str[start:stop]
		}
		return validUTF8(b)
	}
	if td.m8.g0 == (charset{final: setASCII}) && plainASCII(b) {
		return td.str[start:stop]
	}
	return td.m8.decode(b)
}

// dataField splits a data field at data[start:stop] (without its
// terminator) into indicators and subfields. Bytes before the first
// delimiter are ignored.
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
		return f, nil
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

// useUTF8 decides how to decode the record's text.
func useUTF8(data []byte, base int, enc Encoding) bool {
	switch enc {
	case EncodingUTF8:
		return true
	case EncodingMARC8:
		return false
	}
	if data[9] == 'a' {
		return true
	}
	body := data[base:]
	if bytes.IndexByte(body, 0x1b) >= 0 {
		return false
	}
	for _, c := range body {
		if c >= 0x80 {
			return utf8.Valid(body)
		}
	}
	return false // plain ASCII: both decodings agree
}

// validUTF8 returns b as a string in NFC, replacing invalid bytes with
// U+FFFD.
func validUTF8(b []byte) string {
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return normalizeNFC(s)
}
