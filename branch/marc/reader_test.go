package marc_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"

	"stacks/branch/marc"
)

// TestSharedFilesParse reads every file of the shared catalogue and
// checks it yields its records with no error. The expected counts are
// themselves checked against an independent count of record terminators
// or <record> elements.
func TestSharedFilesParse(t *testing.T) {
	tests := []struct {
		file string
		want int
	}{
		{"jazz_1k.mrc", 1000},
		{"hebrew.marc", 20},
		{"FSL.marc", 52},
		{"nepali.marc", 96},
		{"map_data.mrc", 3},
		{"serials_marc21.xml", 7},
		{"badisbns.xml", 10},
		{"rda/RDA_record_CD_Claudia.mrc", 1},
		{"rda/RDA_record_DVD-BLUE-RAY-MOVIE_Pineapple_express.mrc", 1},
		{"rda/RDA_record_DVD_Jorge_Mautner.mrc", 1},
		{"rda/RDA_record_MAP_2012_Enchanted_Circle.mrc", 1},
		{"rda/RDA_record_PHOTO_Srid_pa_ho.mrc", 1},
		{"rda/RDA_record_SCORE-CD_Arias_for_soprano.mrc", 1},
		{"rda/RDA_record_SCORE_Arias_for_bass.mrc", 1},
		{"rda/RDA_record_SCORE_Intermediate_studies.mrc", 1},
		{"rda/RDA_record_SCORE_Wiegenlied.mrc", 1},
		{"rda/RDA_record_SERIAL_IEEE_International_conference.mrc", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readData(t, tt.file)
			var counted int
			if strings.HasSuffix(tt.file, ".xml") {
				counted = bytes.Count(data, []byte("<record>")) + bytes.Count(data, []byte("<record "))
			} else {
				counted = bytes.Count(data, []byte{0x1d})
			}
			if counted != tt.want {
				t.Fatalf("independent count %d, table says %d", counted, tt.want)
			}
			recs := records(t, data)
			if len(recs) != tt.want {
				t.Fatalf("read %d records, want %d", len(recs), tt.want)
			}
			for i, rec := range recs {
				if len(rec.Leader) != 24 || len(rec.Fields) == 0 {
					t.Errorf("record %d: leader %q, %d fields", i+1, rec.Leader, len(rec.Fields))
				}
			}
		})
	}
}

// TestTextMatchesYaz compares the text read from MARC-8 and UTF-8 files,
// field by field, with yaz-marcdump's rendering of the same records
// (testdata/yaz_expected.txt).
func TestTextMatchesYaz(t *testing.T) {
	f, err := os.Open("testdata/yaz_expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]map[int][]string{} // file → record → lines
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		parts := strings.SplitN(sc.Text(), "\t", 3)
		n, err := strconv.Atoi(parts[1])
		if len(parts) != 3 || err != nil {
			t.Fatalf("bad line %q", sc.Text())
		}
		if want[parts[0]] == nil {
			want[parts[0]] = map[int][]string{}
		}
		want[parts[0]][n] = append(want[parts[0]][n], parts[2])
	}
	if len(want) != 5 {
		t.Fatalf("expected data for 5 files, got %d", len(want))
	}
	for file, byRec := range want {
		recs := records(t, readData(t, file))
		checked := 0
		for n, lines := range byRec {
			got := map[string]bool{recs[n-1].Leader: true}
			for _, f := range recs[n-1].Fields {
				got[line(f)] = true
			}
			for _, l := range lines {
				checked++
				if !got[l] {
					t.Errorf("%s record %d: yaz shows\n\t%q\nwhich is not among the fields read", file, n, l)
				}
			}
		}
		t.Logf("%s: %d fields match yaz in %d records", file, checked, len(byRec))
	}
}

// TestEncodingDetection: map_data.mrc says MARC-8 (leader/09 blank) but is
// UTF-8; auto-detection must notice, and forcing MARC-8 must not.
func TestEncodingDetection(t *testing.T) {
	data := readData(t, "map_data.mrc")
	for _, tt := range []struct {
		enc  marc.Encoding
		want string
	}{
		{marc.EncodingAuto, "Matthes, François,"},
		{marc.EncodingUTF8, "Matthes, François,"},
		{marc.EncodingMARC8, "Matthes, Fran©ʹois,"}, // what yaz-marcdump -f MARC-8 shows
	} {
		r := marc.NewReader(bytes.NewReader(data))
		r.SetEncoding(tt.enc)
		r.Next()
		rec, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range rec.Get("700") {
			got = append(got, f.Sub('a'))
		}
		if !strings.Contains(strings.Join(got, "|"), tt.want) {
			t.Errorf("encoding %d: 700 $a = %q, want %q among them", tt.enc, got, tt.want)
		}
	}
}

// TestDecodeMARC8 covers the character sets and escape sequences.
func TestDecodeMARC8(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii", "Abc 123", "Abc 123"},
		{"acute before base, composed", "Caf\xe2e", "Café"},
		{"two marks reordered then composed", "\xe3\xf2e", "ệ"},
		{"mark on capital", "\xe8U", "Ü"},
		{"cedilla and caron", "Fran\xf0cois \xe9C", "François Č"},
		{"special letters", "\xa1\xb1\xa2\xb2\xa3\xb3\xa4\xb4\xa5\xb5\xa6\xb6", "ŁłØøĐđÞþÆæŒœ"},
		{"symbols", "\xa7\xb7\xb8\xb9\xba\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc0", "ʹʺı£ðℓ℗©♯¿¡ß€°"},
		{"alif and ayn", "\xaeAli \xb0Umar", "ʼAli ʻUmar"},
		{"ligature halves", "\xebt\xecs", "t\u0361s"},
		{"double tilde halves", "\xfan\xfbg", "n\u0360g"},
		{"basic cyrillic G0", "\x1b(Nmoskwa\x1b(B!", "МОСКВА!"},
		{"cyrillic lower", "\x1b(N\x41\x42\x1b(B", "аб"},
		{"extended cyrillic G1", "\x1b)Q\xc0\xe6", "ґІ"},
		{"basic hebrew G0", "\x1b(2\x60\x61\x62\x1b(B", "אבג"},
		{"hebrew G1", "\x1b)2\xe0\xe1", "אב"},
		{"hebrew point before letter", "\x1b(2\x40\x60\x1b(B", "\u05d0\u05b7"},
		{"hebrew state lasts to end", "\x1b(2\x60", "א"},
		{"basic greek", "\x1b(S\x61\x62\x64\x1b(B", "αβγ"},
		{"greek symbols", "\x1bgabc\x1bs", "αβγ"},
		{"subscript", "H\x1bb2\x1bsO", "H₂O"},
		{"superscript", "x\x1bp2\x1bs + 1", "x² + 1"},
		{"basic arabic", "\x1b(3\x48\x1b(B", "ب"},
		{"ANSEL designated with intermediate", "\x1b)!E\xa1", "Ł"},
		{"ESC , and ESC - designations", "\x1b,N\x41\x1b-2\xe0\x1b,B", "аא"},
		{"EACC ideographs", "\x1b$1\x21\x30\x21\x21\x30\x22\x1b(Bok", "一丁ok"},
		{"EACC as G1", "\x1b$)1\xa1\xb0\xa1x", "一x"},
		{"EACC with ESC $ , 1 and a space", "\x1b$,1\x21\x30\x21 \x21\x23\x20\x21\x30\x22\x1b(B", "一 \u3000丁"},
		{"EACC kana and hangul", "\x1b$1\x69\x24\x21\x6f\x24\x57\x1b(B", "ぁㄱ"},
		{"EACC beyond the BMP", "\x1b$1\x21\x75\x59\x1b(B", "\U000212C4"},
		{"EACC private use as LoC maps it", "\x1b$1\x6f\x76\x24\x1b(B", "\ue8b0"},
		{"EACC code not in the table dropped", "a\x1b$1\x7e\x7e\x7e\x1b(Bz", "az"},
		{"unknown set", "\x1b(Z\x41\x42\x1b(Bc", "\ufffd\ufffdc"},
		{"undefined ANSEL byte dropped", "a\xafb", "ab"},
		{"undefined Greek symbol dropped", "\x1bgad\x1bs", "α"},
		{"stray C1 byte dropped", "don\x92t", "dont"},
		{"G1 0xA0 and 0xFF dropped", "a\xa0b\xffc", "abc"},
		{"mark at the end dropped, not put on the letter before", "ab\xe2", "ab"},
		{"mark before a space stays on the space", "a\xe2 b", "a \u0301b"},
		{"mark waits across an escape", "\xe2\x1b(Be", "é"},
		{"non-sort markers", "\x88The \x89title", "\u0098The \u009ctitle"},
		{"DEL dropped", "a\x7fb", "ab"},
		{"truncated escape", "ab\x1b(", "ab"},
		{"lone escape", "ab\x1b", "ab"},
		{"unknown escape", "a\x1bZb", "ab"},
		{"truncated EACC dropped", "\x1b$1\x21\x30", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := marc.DecodeMARC8([]byte(tt.in)); got != tt.want {
				t.Errorf("DecodeMARC8(%q) = %q (%+q), want %q", tt.in, got, got, tt.want)
			}
		})
	}
}

// sampleRecords returns n raw ISO 2709 records: the first records of
// jazz_1k.mrc, or made-up ones when the shared data is absent, so that the
// corruption tests always run.
func sampleRecords(t testing.TB, n int) [][]byte {
	t.Helper()
	var out [][]byte
	if data, err := os.ReadFile(dataDir + "/jazz_1k.mrc"); err == nil {
		for len(out) < n {
			i := bytes.IndexByte(data, 0x1d)
			out = append(out, data[:i+1])
			data = data[i+1:]
		}
		return out
	}
	for i := 0; i < n; i++ {
		b, err := marc.Marshal(rec(bookLeader, fmt.Sprintf("001 rec-%d", i+1), "005 20020121132036.0",
			"245 10$aTitle number "+strconv.Itoa(i+1)+" /$cSomeone.", "650  0$aJazz$zCuba"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// control001 parses a raw record and returns its 001.
func control001(t testing.TB, raw []byte) string {
	t.Helper()
	r, err := marc.Unmarshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r.Control("001")
}

// corrupt returns a copy of rec with b written at offset i.
func corrupt(rec []byte, i int, b string) []byte {
	c := bytes.Clone(rec)
	copy(c[i:], b)
	return c
}

// TestCorruptRecordBetweenGoodOnes: each kind of damage to the middle of
// three records yields one *ParseError naming record 2 and its offset,
// and the records on either side still come out.
func TestCorruptRecordBetweenGoodOnes(t *testing.T) {
	recs := sampleRecords(t, 3)
	good, mid, last := recs[0], recs[1], recs[2]
	base, _ := strconv.Atoi(string(mid[12:17]))
	firstLen, _ := strconv.Atoi(string(mid[27:31])) // first directory entry
	tests := []struct {
		name    string
		bad     []byte
		wantMsg string
	}{
		{"non-digit length", corrupt(mid, 0, "0x9z1"), "record length"},
		{"length too large", corrupt(mid, 0, "99999"), "record length 99999"},
		{"length too small", corrupt(mid, 0, "00030"), "record length 30"},
		{"base address not a number", corrupt(mid, 12, "abcde"), "base address"},
		{"base address past end", corrupt(mid, 12, "99999"), "base address 99999"},
		{"base address inside directory", corrupt(mid, 12, "00030"), "directory"},
		{"field length not a number", corrupt(mid, 24+3, "00x0"), "not a number"},
		{"field past end", corrupt(mid, 24+3, "9999"), "past the end"},
		{"field start past end", corrupt(mid, 24+7, "99999"), "past the end"},
		{"invalid tag", corrupt(mid, 24, "\x01\x02\x03"), "invalid tag"},
		{"field terminator missing", corrupt(mid, base+firstLen-1, "X"), "terminator"},
		{"too short", []byte("00010abcd\x1d"), "too short"},
		{"only garbage", []byte("this is not MARC at all, just some text\x1d"), "record length"},
		{"truncated in the middle", append(bytes.Clone(mid[:len(mid)/2]), 0x1d), "record length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := bytes.Join([][]byte{good, tt.bad, last}, nil)
			got := readAll(t, input)
			if len(got) != 3 {
				t.Fatalf("got %d results, want 3: %v", len(got), got)
			}
			if got[0].err != nil || got[2].err != nil {
				t.Fatalf("good records failed: %v / %v", got[0].err, got[2].err)
			}
			if got[0].rec.Control("001") != control001(t, good) || got[2].rec.Control("001") != control001(t, last) {
				t.Errorf("wrong records around the bad one")
			}
			var pe *marc.ParseError
			if !errors.As(got[1].err, &pe) {
				t.Fatalf("middle: got %v, want *ParseError", got[1].err)
			}
			if pe.Record != 2 || pe.Offset != int64(len(good)) {
				t.Errorf("error names record %d offset %d, want record 2 offset %d", pe.Record, pe.Offset, len(good))
			}
			if !strings.Contains(pe.Error(), tt.wantMsg) || !strings.Contains(pe.Error(), fmt.Sprintf("record 2 at byte offset %d", len(good))) {
				t.Errorf("error %q does not say %q with its position", pe.Error(), tt.wantMsg)
			}
		})
	}
}

// TestGarbageBeforeRecord: junk with no record terminator of its own is
// reported, and the record it is glued to is still recovered.
func TestGarbageBeforeRecord(t *testing.T) {
	recs := sampleRecords(t, 2)
	input := bytes.Join([][]byte{recs[0], []byte("JUNK JUNK"), recs[1]}, nil)
	got := readAll(t, input)
	if len(got) != 3 || got[0].err != nil || got[2].err != nil {
		t.Fatalf("got %+v", got)
	}
	var pe *marc.ParseError
	if !errors.As(got[1].err, &pe) || pe.Record != 2 || !strings.Contains(pe.Msg, "9 bytes of garbage") {
		t.Errorf("got %v, want garbage error for record 2", got[1].err)
	}
	if got[2].rec.Control("001") != control001(t, recs[1]) {
		t.Errorf("recovered record 001 = %q", got[2].rec.Control("001"))
	}
}

// TestTruncatedFile: a file cut in the middle of its fourth record gives
// three records, an error for the fourth, then io.EOF.
func TestTruncatedFile(t *testing.T) {
	recs := sampleRecords(t, 4)
	input := bytes.Join(recs[:3], nil)
	off := len(input)
	input = append(input, recs[3][:100]...)
	r := marc.NewReader(bytes.NewReader(input))
	for i := 0; i < 3; i++ {
		if _, err := r.Next(); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
	}
	_, err := r.Next()
	var pe *marc.ParseError
	if !errors.As(err, &pe) || pe.Record != 4 || pe.Offset != int64(off) || !strings.Contains(pe.Msg, "truncated") {
		t.Fatalf("got %v, want truncation error for record 4 at %d", err, off)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after truncation: %v, want io.EOF", err)
	}
}

// TestEmptyAndBlankInput: nothing to read is io.EOF, not an error.
func TestEmptyAndBlankInput(t *testing.T) {
	for _, in := range []string{"", "\n\n  \r\n", "\xef\xbb\xbf"} {
		if _, err := marc.NewReader(strings.NewReader(in)).Next(); err != io.EOF {
			t.Errorf("%q: got %v, want io.EOF", in, err)
		}
	}
}

// TestRandomBytes: random input never panics and the reader always
// terminates.
func TestRandomBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	seeds := sampleRecords(t, 3)
	for i := 0; i < 2000; i++ {
		var b []byte
		if len(seeds) > 0 && i%2 == 0 {
			// Real record with a few random bytes changed.
			b = bytes.Clone(seeds[i%len(seeds)])
			for j := 0; j < 1+rng.Intn(8); j++ {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
		} else {
			b = make([]byte, rng.Intn(600))
			rng.Read(b)
			if i%3 == 0 && len(b) > 0 {
				b[0] = '<'
			}
		}
		readAll(t, b)
	}
}

// TestXMLBadRecordIsSkipped: a MARCXML record with an unusable tag is
// reported and the next record is still read; broken XML is final.
func TestXMLBadRecordIsSkipped(t *testing.T) {
	doc := `<?xml version="1.0"?>
<collection xmlns="http://www.loc.gov/MARC21/slim">
<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">one</controlfield></record>
<record><leader>00000nam a2200000 a 4500</leader><datafield tag="24" ind1="1" ind2="0"><subfield code="a">bad</subfield></datafield></record>
<record><leader>00000nam a2200000 a 4500</leader><controlfield tag="001">three</controlfield>
<datafield tag="245" ind1="1" ind2=""><subfield code="a">Title &amp; more /</subfield><subfield code="c">Me.</subfield></datafield></record>
</collection>`
	got := readAll(t, []byte(doc))
	if len(got) != 3 {
		t.Fatalf("got %d results", len(got))
	}
	var pe *marc.ParseError
	if !errors.As(got[1].err, &pe) || pe.Record != 2 || !strings.Contains(pe.Msg, `invalid tag "24"`) {
		t.Errorf("record 2: got %v", got[1].err)
	}
	if pe != nil && (pe.Offset < 100 || pe.Offset > int64(strings.Index(doc, "bad"))) {
		t.Errorf("record 2 offset %d not at its <record>", pe.Offset)
	}
	rec := got[2].rec
	if got[2].err != nil || rec.Control("001") != "three" || rec.Biblio().Title != "Title & more" {
		t.Errorf("record 3: %v %+v", got[2].err, rec)
	}
	if f, _ := rec.First("245"); f.Ind2 != ' ' {
		t.Errorf("empty ind2 read as %q", f.Ind2)
	}

	broken := doc[:strings.Index(doc, "<record><leader>00000nam a2200000 a 4500</leader><datafield")] + "<record><leader>x</lead"
	got = readAll(t, []byte(broken))
	last := got[len(got)-1].err
	if len(got) != 2 || last == nil || errors.As(last, &pe) {
		t.Errorf("truncated XML: got %v, want one record then a final error", got)
	}
}

// TestXMLWithoutNamespace: serials_marc21.xml has bare <record> elements
// side by side with no namespace; they are all read.
func TestXMLWithoutNamespace(t *testing.T) {
	recs := records(t, readData(t, "serials_marc21.xml"))
	if len(recs) != 7 || recs[0].Control("001") != "21061" {
		t.Fatalf("got %d records", len(recs))
	}
}

// TestXMLPrefixesAndWrappers: a namespace prefix, an OAI-PMH envelope
// (whose own <record> is not MARC) and a pretty-printed leader.
func TestXMLPrefixesAndWrappers(t *testing.T) {
	doc := `<?xml version="1.0" encoding="ISO-8859-1"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>
<record><header><identifier>x</identifier></header><metadata>
<marc:record xmlns:marc="http://www.loc.gov/MARC21/slim">
  <marc:leader>
    00000cam a2200000 a 4500
  </marc:leader>
  <marc:controlfield tag="001">oai-1</marc:controlfield>
  <marc:datafield tag="245" ind1="0" ind2="0"><marc:subfield code="a">Caf\xe9 :</marc:subfield><marc:subfield code="b">m\xe9nu.</marc:subfield></marc:datafield>
</marc:record></metadata></record>
</ListRecords></OAI-PMH>`
	latin1 := strings.ReplaceAll(doc, `\xe9`, "\xe9") // a raw ISO 8859-1 byte
	recs := records(t, []byte(latin1))
	if len(recs) != 1 {
		t.Fatalf("got %d records, want 1", len(recs))
	}
	r := recs[0]
	b := r.Biblio()
	if r.Leader != "00000cam a2200000 a 4500" || r.Control("001") != "oai-1" || b.Title != "Café" || b.Subtitle != "ménu" || b.Format != "book" {
		t.Errorf("got leader %q, %+v", r.Leader, b)
	}
}
