// Package marc reads and writes MARC 21 bibliographic records.
//
// It understands ISO 2709 ("binary" MARC, as exchanged between library
// systems) in both MARC-8 (all its sets, CJK EACC included) and UTF-8, and
// MARCXML. Whatever the source, a Record's text is always valid UTF-8 in
// Unicode NFC, so that equal text compares equal. Like YAZ, the reader
// keeps a record whose structure is a few bytes off and drops bytes that
// are no character; unlike YAZ it says so: Reader.Warnings lists what it
// repaired or dropped in each record, naming the record's number and
// byte offset. Record.Biblio condenses a
// record into the few fields a catalogue needs (title, authors, ISBN,
// format, …); Write produces ISO 2709 in UTF-8.
//
// Typical use:
//
//	r := marc.NewReader(f)
//	for {
//		rec, err := r.Next()
//		if err == io.EOF {
//			break
//		}
//		var pe *marc.ParseError
//		if errors.As(err, &pe) {
//			log.Print(err) // one bad record; the rest still come
//			continue
//		}
//		if err != nil {
//			return err
//		}
//		for _, w := range r.Warnings() {
//			log.Print(w) // repaired or dropped, record kept
//		}
//		b := rec.Biblio()
//		…
//	}
package marc

// Record is one MARC record: a 24-byte leader and its fields in order.
type Record struct {
	// Leader is the 24-character record leader. Positions 00-04 (record
	// length) and 12-16 (base address) describe the encoding it was read
	// from and are recomputed by Write.
	Leader string
	// Fields are the control and data fields in record order.
	Fields []Field
}

// Field is one MARC field. Control fields (tags 001-009) carry Value;
// data fields carry two indicators and Subfields.
type Field struct {
	Tag        string
	Ind1, Ind2 byte
	Value      string
	Subfields  []Subfield
}

// Subfield is one coded subfield of a data field.
type Subfield struct {
	Code  byte
	Value string
}

// IsControlTag reports whether tag names a control field ("001" to "009"),
// which has a value instead of indicators and subfields.
func IsControlTag(tag string) bool {
	return len(tag) == 3 && tag < "010"
}

// IsControl reports whether f is a control field.
func (f Field) IsControl() bool { return IsControlTag(f.Tag) }

// Get returns the fields with the given tag, in record order.
func (r *Record) Get(tag string) []Field {
	var out []Field
	for _, f := range r.Fields {
		if f.Tag == tag {
			out = append(out, f)
		}
	}
	return out
}

// First returns the first field with the given tag.
func (r *Record) First(tag string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Tag == tag {
			return f, true
		}
	}
	return Field{}, false
}

// Control returns the value of the first control field with the given
// tag, or "".
func (r *Record) Control(tag string) string {
	f, _ := r.First(tag)
	return f.Value
}

// Sub returns the value of the first subfield with the given code, or "".
func (f Field) Sub(code byte) string {
	for _, s := range f.Subfields {
		if s.Code == code {
			return s.Value
		}
	}
	return ""
}

// SubAll returns the values of all subfields with the given code, in order.
func (f Field) SubAll(code byte) []string {
	var out []string
	for _, s := range f.Subfields {
		if s.Code == code {
			out = append(out, s.Value)
		}
	}
	return out
}

// leaderAt returns leader position i, or ' ' if the leader is too short.
func (r *Record) leaderAt(i int) byte {
	if i < len(r.Leader) {
		return r.Leader[i]
	}
	return ' '
}

// cleanLeader returns s as exactly 24 printable ASCII bytes: shorter
// leaders are padded with blanks, longer ones cut, other bytes blanked.
func cleanLeader(s string) string {
	var b [24]byte
	for i := range b {
		b[i] = ' '
		if i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
			b[i] = s[i]
		}
	}
	return string(b[:])
}
