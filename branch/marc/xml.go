package marc

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// SlimNamespace is the MARCXML namespace. Elements in no namespace are
// accepted too, since many exports omit it.
const SlimNamespace = "http://www.loc.gov/MARC21/slim"

// xmlReader streams MARCXML records: collection/record/leader,
// controlfield, datafield and subfield. It reads one record element at a
// time and never holds the whole document. Records may sit in a
// collection, in any wrapper (such as OAI-PMH), or side by side at the top
// level.
type xmlReader struct {
	r    *Reader
	d    *xml.Decoder
	base int64 // offset of the decoder's input in the whole input
}

func newXMLReader(r *Reader) *xmlReader {
	d := xml.NewDecoder(r.br)
	d.CharsetReader = charsetReader
	return &xmlReader{r: r, d: d, base: r.off}
}

// charsetReader lets documents declared as Latin-1 or ASCII be read.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		return &latin1Reader{br: bufio.NewReader(in)}, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", label)
}

// latin1Reader converts ISO 8859-1 bytes to UTF-8.
type latin1Reader struct {
	br  *bufio.Reader
	out []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.out) < len(p) {
		c, err := l.br.ReadByte()
		if err != nil {
			if len(l.out) == 0 {
				return 0, err
			}
			break
		}
		l.out = utf8.AppendRune(l.out, rune(c))
	}
	n := copy(p, l.out)
	l.out = l.out[:copy(l.out, l.out[n:])]
	return n, nil
}

// isMARC reports whether an element name belongs to MARCXML.
func isMARC(n xml.Name, local string) bool {
	return n.Local == local && (n.Space == SlimNamespace || n.Space == "")
}

// next returns the next record element's record. Errors in the XML syntax
// are final; a record whose content is unusable yields a *ParseError.
func (x *xmlReader) next() (*Record, error) {
	for {
		at := x.base + x.d.InputOffset()
		tok, err := x.d.Token()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, x.syntaxError(err)
		}
		if se, ok := tok.(xml.StartElement); ok && isMARC(se.Name, "record") {
			x.r.n++
			rec, problem, err := x.record()
			if err != nil {
				return nil, x.syntaxError(err)
			}
			if problem != "" {
				return nil, x.r.parseError(x.r.n, at, problem)
			}
			return rec, nil
		}
	}
}

func (x *xmlReader) syntaxError(err error) error {
	return fmt.Errorf("marc: MARCXML input unreadable in or after record %d, near byte offset %d: %w",
		x.r.n, x.base+x.d.InputOffset(), err)
}

// record reads the content of a record element up to its end tag. It
// returns the first content problem found, if any, having still consumed
// the whole element so that reading can go on.
func (x *xmlReader) record() (*Record, string, error) {
	rec := &Record{}
	var problem string
	note := func(format string, args ...any) {
		if problem == "" {
			problem = fmt.Sprintf(format, args...)
		}
	}
	for {
		tok, err := x.d.Token()
		if err != nil {
			return nil, "", unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			rec.Leader = cleanLeader(rec.Leader)
			return rec, problem, nil
		case xml.StartElement:
			switch {
			case isMARC(t.Name, "leader"):
				s, err := x.text()
				if err != nil {
					return nil, "", err
				}
				if strings.ContainsAny(s, "\r\n") {
					s = strings.TrimSpace(s) // pretty-printed onto its own line
				}
				rec.Leader = s
			case isMARC(t.Name, "controlfield"):
				tag := attr(t, "tag")
				s, err := x.text()
				if err != nil {
					return nil, "", err
				}
				switch {
				case !validTag(tag) || !IsControlTag(tag):
					note("controlfield has invalid tag %q", tag)
				case strings.ContainsAny(s, "\x1d\x1e"):
					note("controlfield %s contains a MARC terminator character", tag)
				}
				rec.Fields = append(rec.Fields, Field{Tag: tag, Value: s})
			case isMARC(t.Name, "datafield"):
				f, msg, err := x.dataField(t)
				if err != nil {
					return nil, "", err
				}
				if msg != "" {
					note("%s", msg)
				}
				rec.Fields = append(rec.Fields, f)
			default:
				if err := x.d.Skip(); err != nil {
					return nil, "", unexpectedEOF(err)
				}
			}
		}
	}
}

// dataField reads a datafield element's subfields.
func (x *xmlReader) dataField(t xml.StartElement) (Field, string, error) {
	tag := attr(t, "tag")
	f := Field{Tag: tag}
	var problem string
	if !validTag(tag) || IsControlTag(tag) {
		problem = fmt.Sprintf("datafield has invalid tag %q", tag)
	}
	var ok1, ok2 bool
	f.Ind1, ok1 = indicator(attr(t, "ind1"))
	f.Ind2, ok2 = indicator(attr(t, "ind2"))
	if (!ok1 || !ok2) && problem == "" {
		problem = fmt.Sprintf("datafield %s has invalid indicators %q %q", tag, attr(t, "ind1"), attr(t, "ind2"))
	}
	for {
		tok, err := x.d.Token()
		if err != nil {
			return f, "", unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return f, problem, nil
		case xml.StartElement:
			if !isMARC(t.Name, "subfield") {
				if err := x.d.Skip(); err != nil {
					return f, "", unexpectedEOF(err)
				}
				continue
			}
			code := attr(t, "code")
			s, err := x.text()
			if err != nil {
				return f, "", err
			}
			if (len(code) != 1 || !validCode(code[0])) && problem == "" {
				problem = fmt.Sprintf("datafield %s has invalid subfield code %q", tag, code)
			}
			if strings.ContainsAny(s, "\x1d\x1e\x1f") && problem == "" {
				problem = fmt.Sprintf("datafield %s contains a MARC delimiter character", tag)
			}
			if len(code) > 0 {
				f.Subfields = append(f.Subfields, Subfield{Code: code[0], Value: s})
			}
		}
	}
}

// text returns the character data of the current element up to its end
// tag, skipping any child elements.
func (x *xmlReader) text() (string, error) {
	var sb strings.Builder
	for {
		tok, err := x.d.Token()
		if err != nil {
			return "", unexpectedEOF(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.StartElement:
			if err := x.d.Skip(); err != nil {
				return "", unexpectedEOF(err)
			}
		case xml.EndElement:
			s := sb.String()
			if !utf8.ValidString(s) {
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			return normalizeNFC(s), nil
		}
	}
}

// unexpectedEOF turns an end of input inside an element into an error.
func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// attr returns the value of the attribute with the given local name.
func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// indicator converts an ind1/ind2 attribute: empty means blank.
func indicator(s string) (byte, bool) {
	switch {
	case s == "":
		return ' ', true
	case len(s) == 1 && validCode(s[0]):
		return s[0], true
	}
	return ' ', false
}
