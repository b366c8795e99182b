package marc_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"stacks/branch/marc"
)

// rawRecord builds an ISO 2709 record byte for byte, as a damaged or
// legacy file has it: each field is its tag followed by its raw data
// (without terminator), and leader/09 is enc (' ' MARC-8, 'a' UTF-8).
// Nothing is converted or normalised, unlike marc.Marshal.
func rawRecord(enc byte, fields ...string) []byte {
	var dir, data bytes.Buffer
	for _, f := range fields {
		body := f[3:] + "\x1e"
		fmt.Fprintf(&dir, "%s%04d%05d", f[:3], len(body), data.Len())
		data.WriteString(body)
	}
	base := 24 + dir.Len() + 1
	total := base + data.Len() + 1
	leader := fmt.Sprintf("%05dnam %c22%05d   4500", total, enc, base)
	return []byte(leader + dir.String() + "\x1e" + data.String() + "\x1d")
}

// setLeaderLength writes n as the record length of rec.
func setLeaderLength(rec []byte, n int) []byte {
	return corrupt(rec, 0, fmt.Sprintf("%05d", n))
}

// dirEntry returns the offset in rec of the n-th (0-based) directory
// entry's length and start fields.
func dirEntry(n int) (lenAt, startAt int) { return 24 + 12*n + 3, 24 + 12*n + 7 }

// addToEntry adds delta to the 4- or 5-digit number at rec[at:].
func addToEntry(rec []byte, at, width, delta int) []byte {
	var v int
	fmt.Sscanf(string(rec[at:at+width]), "%d", &v)
	return corrupt(rec, at, fmt.Sprintf("%0*d", width, v+delta))
}

// readWithWarnings reads every record of data, failing on any error, and
// returns the records and the warnings of each.
func readWithWarnings(t *testing.T, data []byte) ([]*marc.Record, [][]marc.Warning) {
	t.Helper()
	r := marc.NewReader(bytes.NewReader(data))
	var recs []*marc.Record
	var warns [][]marc.Warning
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs, warns
		}
		if err != nil {
			t.Fatalf("record %d: %v", len(recs)+1, err)
		}
		recs = append(recs, rec)
		warns = append(warns, r.Warnings())
	}
}

// TestLenientStructure: damage YAZ warns about and keeps, we keep too,
// with a warning naming the record, its offset and the field; the record
// after it reads cleanly.
func TestLenientStructure(t *testing.T) {
	good := rawRecord(' ', "001abc", "24510\x1faTitle /\x1fcMe.", "500  \x1fanote")
	next := rawRecord(' ', "001next", "24500\x1faNext")
	lastUnterminated := good[: len(good)-2 : len(good)-2]
	lastUnterminated = append(lastUnterminated, 0x1d)
	lastUnterminated = setLeaderLength(lastUnterminated, len(lastUnterminated))
	l245, s245 := dirEntry(1)
	l500, _ := dirEntry(2)
	tests := []struct {
		name      string
		rec       []byte
		wantField string
		wantMsg   string
	}{
		{"leader length 3 too long", setLeaderLength(good, len(good)+3), "", "record length"},
		{"leader length 3 too short", setLeaderLength(good, len(good)-3), "", "record length"},
		{"245 starts one byte late", addToEntry(good, s245, 5, 1), "245", "directory entry 2"},
		{"245 starts one byte early", addToEntry(good, s245, 5, -1), "245", "directory entry 2"},
		{"245 one byte too long", addToEntry(good, l245, 4, 1), "245", "directory entry 2"},
		{"245 one byte too short", addToEntry(good, l245, 4, -1), "245", "directory entry 2"},
		{"last field without terminator", lastUnterminated, "500", "no field terminator"},
		{"last field without terminator, length not counting it", addToEntry(lastUnterminated, l500, 4, -1), "500", "no field terminator"},
		{"last field without terminator, leader not updated", setLeaderLength(lastUnterminated, len(good)), "500", "no field terminator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := bytes.Join([][]byte{next, tt.rec, next}, nil)
			recs, warns := readWithWarnings(t, input)
			if len(recs) != 3 {
				t.Fatalf("read %d records, want 3", len(recs))
			}
			rec := recs[1]
			f245, _ := rec.First("245")
			f500, _ := rec.First("500")
			if rec.Control("001") != "abc" || f245.Sub('a') != "Title /" || f245.Sub('c') != "Me." || f500.Sub('a') != "note" {
				t.Errorf("repaired record read as %q / %q", line(f245), line(f500))
			}
			if len(warns[0]) != 0 || len(warns[2]) != 0 {
				t.Errorf("warnings on the good records: %v / %v", warns[0], warns[2])
			}
			var found bool
			for _, w := range warns[1] {
				if w.Record == 2 && w.Offset == int64(len(next)) && w.Field == tt.wantField && strings.Contains(w.Msg, tt.wantMsg) {
					found = true
				}
			}
			if !found {
				t.Errorf("warnings %v: none for record 2 at %d, field %q, saying %q", warns[1], len(next), tt.wantField, tt.wantMsg)
			}
			if recs[2].Control("001") != "next" {
				t.Errorf("record after the repaired one: 001 %q", recs[2].Control("001"))
			}
		})
	}
}

// TestDamageBeyondRepair: what is further off than a few bytes is still
// an error for that record only, naming its ordinal and offset, and the
// stream goes on, warnings and all.
func TestDamageBeyondRepair(t *testing.T) {
	good := rawRecord(' ', "001abc", "24510\x1faTitle", "500  \x1fanote")
	l245, s245 := dirEntry(1)
	repaired := setLeaderLength(good, len(good)+2)
	tests := []struct {
		name    string
		bad     []byte
		wantMsg string
	}{
		{"leader length 11 off", setLeaderLength(good, len(good)+11), "record length"},
		{"245 starts 3 bytes late", addToEntry(good, s245, 5, 3), "245"},
		{"245 three bytes too long", addToEntry(good, l245, 4, 3), "245"},
		{"245 runs past the end", addToEntry(good, l245, 4, 40), "past the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := bytes.Join([][]byte{good, repaired, tt.bad, good}, nil)
			r := marc.NewReader(bytes.NewReader(input))
			for i := 1; i <= 4; i++ {
				rec, err := r.Next()
				switch i {
				case 2:
					if err != nil || len(r.Warnings()) != 1 || r.Warnings()[0].Record != 2 || r.Warnings()[0].Offset != int64(len(good)) {
						t.Errorf("record 2: %v, warnings %v", err, r.Warnings())
					}
				case 3:
					var pe *marc.ParseError
					if !errors.As(err, &pe) || pe.Record != 3 || pe.Offset != int64(2*len(good)) || !strings.Contains(pe.Msg, tt.wantMsg) {
						t.Errorf("record 3: got %v, want a ParseError at %d saying %q", err, 2*len(good), tt.wantMsg)
					}
					if r.Warnings() != nil {
						t.Errorf("warnings left over from record 2: %v", r.Warnings())
					}
				default:
					if err != nil || rec.Control("001") != "abc" || r.Warnings() != nil {
						t.Errorf("record %d: %v, warnings %v", i, err, r.Warnings())
					}
				}
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("after the last record: %v", err)
			}
		})
	}
}

// TestFieldWithoutDelimiters: a data field with no subfield delimiter keeps
// its text as $a (YAZ takes the first letter for a code and mangles it),
// with a warning; bytes before the first delimiter are dropped, reported.
func TestFieldWithoutDelimiters(t *testing.T) {
	data := rawRecord(' ', "001x", "24510Some title \xe2etc", "500  junk\x1fanote", "650 0")
	recs, warns := readWithWarnings(t, data)
	f245, _ := recs[0].First("245")
	if got := line(f245); got != "245 10 $a Some title étc" {
		t.Errorf("245 read as %q", got)
	}
	f500, _ := recs[0].First("500")
	if got := line(f500); got != "500    $a note" {
		t.Errorf("500 read as %q", got)
	}
	f650, _ := recs[0].First("650")
	if len(f650.Subfields) != 0 {
		t.Errorf("650 with indicators only read as %q", line(f650))
	}
	want := map[string]string{"245": "no subfield delimiter", "500": "dropped 4 bytes before the first subfield delimiter"}
	for _, w := range warns[0] {
		if strings.Contains(w.Msg, want[w.Field]) {
			delete(want, w.Field)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing warnings %v among %v", want, warns[0])
	}
}

// TestDroppedTextIsReported: undefined MARC-8 positions, stray C1 bytes,
// unknown EACC codes and combining marks without a base are dropped, each
// with a warning naming the record and field.
func TestDroppedTextIsReported(t *testing.T) {
	data := bytes.Join([][]byte{
		rawRecord(' ', "001one", "24510\x1faDon\x92t \xafstop\xe2\x1fbnow \xe8 ok"),
		rawRecord(' ', "001two", "88010\x1f6245-01/$1\x1fa\x1b$1\x21\x30\x21\x7e\x7e\x7e\x1b(B"),
	}, nil)
	recs, warns := readWithWarnings(t, data)
	f245, _ := recs[0].First("245")
	if got := line(f245); got != "245 10 $a Dont stop $b now  \u0308ok" {
		t.Errorf("245 read as %+q", got)
	}
	f880, _ := recs[1].First("880")
	if got := f880.Sub('a'); got != "一" {
		t.Errorf("880 $a read as %+q", got)
	}
	for _, tt := range []struct {
		rec  int
		want string
	}{{0, "0x92"}, {0, "0xAF"}, {0, "U+0301"}, {1, "7E7E7E"}} {
		found := false
		for _, w := range warns[tt.rec] {
			if w.Record == tt.rec+1 && (w.Field == "245" || w.Field == "880") && strings.Contains(w.Msg, tt.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("record %d: no warning about %s among %v", tt.rec+1, tt.want, warns[tt.rec])
		}
	}
	if len(warns[0]) != 3 {
		t.Errorf("record 1: %d warnings, want 3 (a mark before a space is no error: it stays on the space, as in YAZ): %v", len(warns[0]), warns[0])
	}
	if s := warns[0][0].String(); !strings.HasPrefix(s, "marc: record 1 at byte offset 0: field 245: ") {
		t.Errorf("warning reads %q", s)
	}
}

// TestLeaderEncodingBelievedOnlyWhenTextAgrees: leader/09 against the text.
func TestLeaderEncodingBelievedOnlyWhenTextAgrees(t *testing.T) {
	tests := []struct {
		name     string
		rec      []byte
		want     string
		wantWarn string
	}{
		{"MARC-8 said, UTF-8 text", rawRecord(' ', "24510\x1faCaf\xc3\xa9"), "Café", "valid UTF-8"},
		{"MARC-8 said, UTF-8 decomposed text is NFC", rawRecord(' ', "24510\x1faCafe\xcc\x81"), "Café", "valid UTF-8"},
		{"MARC-8 said and MARC-8 text", rawRecord(' ', "24510\x1faCaf\xe2e"), "Café", ""},
		{"UTF-8 said, MARC-8 text", rawRecord('a', "24510\x1faCaf\xe2e \xa1odz"), "Café Łodz", "reads as MARC-8"},
		{"UTF-8 said, escape sequences", rawRecord('a', "24510\x1fa\x1b(Nmir\x1b(B"), "МИР", "reads as MARC-8"},
		{"UTF-8 said, Windows-1252 debris", rawRecord('a', "24510\x1faDon\x92t \xc3\xa9"), "Dont é", "0x92"},
		{"UTF-8 said, C1 character", rawRecord('a', "24510\x1faDon\xc2\x92t"), "Dont", "U+0092"},
		{"UTF-8 said, non-sort markers kept", rawRecord('a', "24510\x1fa\xc2\x98The \xc2\x9cEnd"), "\u0098The \u009cEnd", ""},
		{"plain ASCII either way", rawRecord('a', "24510\x1faPlain"), "Plain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, warns := readWithWarnings(t, tt.rec)
			f, _ := recs[0].First("245")
			got := f.Sub('a')
			if got != tt.want {
				t.Errorf("245 $a = %+q, want %+q", got, tt.want)
			}
			var all []string
			for _, w := range warns[0] {
				all = append(all, w.String())
			}
			joined := strings.Join(all, "\n")
			if tt.wantWarn == "" && joined != "" {
				t.Errorf("unexpected warnings: %s", joined)
			}
			if tt.wantWarn != "" && !strings.Contains(joined, tt.wantWarn) {
				t.Errorf("warnings %q do not say %q", joined, tt.wantWarn)
			}
			if tt.wantWarn != "" && !strings.Contains(joined, "marc: record 1 at byte offset 0") {
				t.Errorf("warnings %q do not name the record", joined)
			}
		})
	}
}
