package marc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ISO 2709 structure bytes and limits.
const (
	recordTerminator  = 0x1d
	fieldTerminator   = 0x1e
	subfieldDelimiter = 0x1f
	leaderLen         = 24
	maxRecordLen      = 99999 // the leader's five-digit length
)

// Encoding says how the text of ISO 2709 records is decoded.
type Encoding int

const (
	// EncodingAuto follows leader/09: 'a' is UTF-8; anything else is
	// MARC-8, unless the record has no escape sequences and its non-ASCII
	// bytes are valid UTF-8 (records that say MARC-8 but were converted to
	// UTF-8 without fixing the leader are common).
	EncodingAuto Encoding = iota
	// EncodingMARC8 decodes every record as MARC-8, whatever its leader says.
	EncodingMARC8
	// EncodingUTF8 decodes every record as UTF-8, whatever its leader says.
	EncodingUTF8
)

// ParseError reports one malformed record. The reader has already skipped
// past it, so Next may be called again for the records that follow.
type ParseError struct {
	Record int   // 1-based number of the record in the input
	Offset int64 // byte offset in the input where the record starts
	Msg    string
}

// Error says which record is malformed, where it starts and why.
func (e *ParseError) Error() string {
	return fmt.Sprintf("marc: record %d at byte offset %d: %s", e.Record, e.Offset, e.Msg)
}

// Warning is damage the reader repaired, or text it could not decode and
// dropped, in a record it still returned.
type Warning struct {
	Record int    // 1-based number of the record in the input
	Offset int64  // byte offset in the input where the record starts
	Field  string // the tag of the field concerned, or "" for the record
	Msg    string
}

// String says which record (and field) the warning is about, and what.
func (w Warning) String() string {
	if w.Field != "" {
		return fmt.Sprintf("marc: record %d at byte offset %d: field %s: %s", w.Record, w.Offset, w.Field, w.Msg)
	}
	return fmt.Sprintf("marc: record %d at byte offset %d: %s", w.Record, w.Offset, w.Msg)
}

// Reader reads MARC records one at a time from ISO 2709 or MARCXML input.
// Which of the two it is is decided by the first non-blank byte: '<'
// means MARCXML. A Reader is not safe for concurrent use.
type Reader struct {
	br  *bufio.Reader
	enc Encoding

	started bool
	xml     *xmlReader // non-nil for MARCXML input

	n       int    // records seen so far (good or bad)
	off     int64  // bytes consumed from br
	buf     []byte // the record being parsed
	pending *Record
	pendW   []Warning // warnings of pending
	warns   []Warning // warnings of the record Next returned last
	err     error     // sticky error: no more records can be read
}

// NewReader returns a Reader of the records in r. It buffers its input.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// SetEncoding chooses how ISO 2709 text is decoded (default EncodingAuto).
// MARCXML is always UTF-8.
func (r *Reader) SetEncoding(e Encoding) { r.enc = e }

// Next returns the next record, or io.EOF after the last one. A malformed
// record yields a *ParseError naming its number and byte offset, and the
// following call continues with the record after it; any other error is
// final.
func (r *Reader) Next() (*Record, error) {
	r.warns = nil
	if r.pending != nil {
		rec := r.pending
		r.pending, r.warns, r.pendW = nil, r.pendW, nil
		return rec, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		r.started = true
		if err := r.detect(); err != nil {
			r.err = err
			return nil, err
		}
	}
	var rec *Record
	var err error
	if r.xml != nil {
		rec, err = r.xml.next()
	} else {
		rec, err = r.nextISO()
	}
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			r.err = err
		}
	}
	return rec, err
}

// Warnings returns what the reader repaired or dropped in the record the
// last call to Next returned (nil if nothing), each naming the record's
// number and byte offset: a leader length or directory entry that was a
// few bytes off, a last field without its terminator, a field without
// subfield delimiters, a leader/09 that the text contradicts, and bytes
// that are no character (undefined MARC-8 positions, stray C1 controls,
// invalid UTF-8, combining marks without a base).
func (r *Reader) Warnings() []Warning { return r.warns }

// skipBlanks consumes white space, NULs and a byte order mark.
func (r *Reader) skipBlanks() error {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return err
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n', 0, 0x1a: // 0x1A: DOS end of file
			r.br.Discard(1)
			r.off++
			continue
		case 0xef:
			if bom, _ := r.br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
				r.br.Discard(3)
				r.off += 3
				continue
			}
		}
		return nil
	}
}

// detect chooses between ISO 2709 and MARCXML.
func (r *Reader) detect() error {
	if err := r.skipBlanks(); err != nil {
		return err // io.EOF for empty input
	}
	if b, _ := r.br.Peek(1); len(b) == 1 && b[0] == '<' {
		r.xml = newXMLReader(r)
	}
	return nil
}

// nextISO reads one ISO 2709 record, framed by the record terminator.
func (r *Reader) nextISO() (*Record, error) {
	if err := r.skipBlanks(); err != nil {
		return nil, err
	}
	start := r.off
	r.n++
	r.buf = r.buf[:0]
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice(recordTerminator)
		r.off += int64(len(chunk))
		if len(r.buf)+len(chunk) > maxRecordLen {
			tooLong = true
		} else if !tooLong {
			r.buf = append(r.buf, chunk...)
		}
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return nil, r.parseError(r.n, start, fmt.Sprintf("truncated: input ends after %d bytes without a record terminator", r.off-start))
		}
		return nil, err
	}
	if tooLong {
		return nil, r.parseError(r.n, start, fmt.Sprintf("no record terminator within %d bytes", maxRecordLen))
	}
	rec, warns, err := parseISO(r.buf, r.enc)
	if err == nil {
		r.warns = r.located(warns, r.n, start)
		return rec, nil
	}
	// Perhaps junk came before a good record: look for a record that
	// ends exactly at this terminator (trying a bounded number of
	// candidates, so that crafted input cannot make this quadratic).
	tries := 0
	for p := 1; p+leaderLen < len(r.buf) && tries < 100; p++ {
		if n, ok := atoi(r.buf[p : p+5]); ok && n == len(r.buf)-p {
			tries++
			if good, warns, err2 := parseISO(r.buf[p:], r.enc); err2 == nil {
				r.pending = good
				r.n++
				r.pendW = r.located(warns, r.n, start+int64(p))
				return nil, r.parseError(r.n-1, start, fmt.Sprintf("%d bytes of garbage before the next record", p))
			}
		}
	}
	return nil, r.parseError(r.n, start, err.Error())
}

// located fills in the record number and offset of warnings.
func (r *Reader) located(warns []Warning, n int, off int64) []Warning {
	for i := range warns {
		warns[i].Record, warns[i].Offset = n, off
	}
	return warns
}

// parseError builds the error for record n starting at byte off.
func (r *Reader) parseError(n int, off int64, msg string) *ParseError {
	return &ParseError{Record: n, Offset: off, Msg: msg}
}
