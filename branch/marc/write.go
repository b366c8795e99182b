package marc

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ErrTooLong is wrapped by the errors of Write and Marshal for a record or
// field longer than ISO 2709 can express.
var ErrTooLong = errors.New("too long for ISO 2709")

// Write writes r to w as one ISO 2709 record in UTF-8 (leader/09 'a').
// The leader's record length, base address, indicator and subfield code
// counts and entry map are recomputed; its other positions are kept. It
// fails, writing nothing, if a field cannot be represented: a tag that is
// not three letters or digits, text that is not valid UTF-8 or contains
// MARC delimiters, or a record longer than 99999 bytes.
func Write(w io.Writer, r *Record) error {
	b, err := Marshal(r)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Marshal returns r encoded as Write would write it.
func Marshal(r *Record) ([]byte, error) {
	dir := make([]byte, 0, 12*len(r.Fields)+1)
	var data []byte
	for i, f := range r.Fields {
		if !validTag(f.Tag) {
			return nil, fmt.Errorf("marc: field %d: invalid tag %q", i+1, f.Tag)
		}
		start := len(data)
		if f.IsControl() {
			if err := checkText(f.Value, "\x1d\x1e"); err != nil {
				return nil, fmt.Errorf("marc: field %s: %v", f.Tag, err)
			}
			data = append(data, f.Value...)
		} else {
			for _, ind := range []byte{f.Ind1, f.Ind2} {
				if ind == 0 {
					ind = ' '
				}
				if !validCode(ind) {
					return nil, fmt.Errorf("marc: field %s: invalid indicator 0x%02x", f.Tag, ind)
				}
				data = append(data, ind)
			}
			for _, s := range f.Subfields {
				if !validCode(s.Code) {
					return nil, fmt.Errorf("marc: field %s: invalid subfield code 0x%02x", f.Tag, s.Code)
				}
				if err := checkText(s.Value, "\x1d\x1e\x1f"); err != nil {
					return nil, fmt.Errorf("marc: field %s subfield %c: %v", f.Tag, s.Code, err)
				}
				data = append(data, subfieldDelimiter, s.Code)
				data = append(data, s.Value...)
			}
		}
		data = append(data, fieldTerminator)
		n := len(data) - start
		if n > 9999 {
			return nil, fmt.Errorf("marc: field %s is %d bytes: %w", f.Tag, n, ErrTooLong)
		}
		if start > 99999 {
			return nil, fmt.Errorf("marc: field %s starts at byte %d: %w", f.Tag, start, ErrTooLong)
		}
		dir = fmt.Appendf(dir, "%s%04d%05d", f.Tag, n, start)
	}
	dir = append(dir, fieldTerminator)
	base := leaderLen + len(dir)
	total := base + len(data) + 1
	if total > maxRecordLen {
		return nil, fmt.Errorf("marc: record is %d bytes: %w", total, ErrTooLong)
	}
	leader := []byte(cleanLeader(r.Leader))
	copy(leader[0:5], fmt.Sprintf("%05d", total))
	leader[9] = 'a'
	leader[10], leader[11] = '2', '2'
	copy(leader[12:17], fmt.Sprintf("%05d", base))
	copy(leader[20:24], "4500")
	out := make([]byte, 0, total)
	out = append(out, leader...)
	out = append(out, dir...)
	out = append(out, data...)
	return append(out, recordTerminator), nil
}

// checkText reports text that cannot go into a UTF-8 record.
func checkText(s, forbidden string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("text %q is not valid UTF-8", s)
	}
	if strings.ContainsAny(s, forbidden) {
		return fmt.Errorf("text %q contains a MARC delimiter", s)
	}
	return nil
}
