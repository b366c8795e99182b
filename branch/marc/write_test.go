package marc_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"stacks/branch/marc"
)

// TestRoundTripSharedFiles: every record of every shared file, written
// with Write and read back, equals the record first read (apart from the
// leader positions Write computes), and a second write is byte-identical.
func TestRoundTripSharedFiles(t *testing.T) {
	files := []string{"jazz_1k.mrc", "hebrew.marc", "FSL.marc", "nepali.marc", "map_data.mrc",
		"serials_marc21.xml", "badisbns.xml", "rda/RDA_record_DVD-BLUE-RAY-MOVIE_Pineapple_express.mrc"}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			recs := records(t, readData(t, file))
			var stream bytes.Buffer
			for _, r := range recs {
				if err := marc.Write(&stream, r); err != nil {
					t.Fatalf("%s: %v", r.Control("001"), err)
				}
			}
			back := records(t, stream.Bytes())
			if len(back) != len(recs) {
				t.Fatalf("wrote %d records, read back %d", len(recs), len(back))
			}
			var again bytes.Buffer
			for i := range recs {
				if d := sameRecord(recs[i], back[i]); d != "" {
					t.Fatalf("record %d: %s", i+1, d)
				}
				if back[i].Leader[9] != 'a' {
					t.Errorf("record %d: leader/09 %q, want 'a'", i+1, back[i].Leader[9])
				}
				marc.Write(&again, back[i])
			}
			if !bytes.Equal(stream.Bytes(), again.Bytes()) {
				t.Error("second write differs from the first")
			}
		})
	}
}

// TestWriteExactBytes checks the ISO 2709 layout of a small record.
func TestWriteExactBytes(t *testing.T) {
	r := &marc.Record{
		Leader: "xxxxxnam  xxxxxxx a xxxx",
		Fields: []marc.Field{
			{Tag: "001", Value: "42"},
			{Tag: "245", Ind1: '1', Subfields: []marc.Subfield{{Code: 'a', Value: "Café /"}, {Code: 'c', Value: "Me."}}},
		},
	}
	got, err := marc.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := "00070nam a2200049 a 4500" +
		"001000300000" + "245001700003" + "\x1e" +
		"42\x1e" + "1 \x1faCafé /\x1fcMe.\x1e" + "\x1d"
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	back, err := marc.Unmarshal(got)
	if err != nil || back.Fields[1].Sub('a') != "Café /" || back.Fields[1].Ind2 != ' ' {
		t.Errorf("read back: %v %+v", err, back)
	}
}

// TestWriteRejects: what ISO 2709 cannot hold is an error, and nothing is
// written.
func TestWriteRejects(t *testing.T) {
	tests := []struct {
		name string
		f    marc.Field
		want string
	}{
		{"short tag", marc.Field{Tag: "24", Subfields: []marc.Subfield{{Code: 'a', Value: "x"}}}, "invalid tag"},
		{"tag with space", marc.Field{Tag: "2 5"}, "invalid tag"},
		{"invalid UTF-8", marc.Field{Tag: "245", Subfields: []marc.Subfield{{Code: 'a', Value: "\xff"}}}, "UTF-8"},
		{"delimiter in value", marc.Field{Tag: "245", Subfields: []marc.Subfield{{Code: 'a', Value: "a\x1fb"}}}, "delimiter"},
		{"terminator in control field", marc.Field{Tag: "001", Value: "a\x1eb"}, "delimiter"},
		{"bad subfield code", marc.Field{Tag: "245", Subfields: []marc.Subfield{{Code: 0x1f, Value: "x"}}}, "subfield code"},
		{"bad indicator", marc.Field{Tag: "245", Ind1: 0xe9}, "indicator"},
		{"field too long", marc.Field{Tag: "505", Subfields: []marc.Subfield{{Code: 'a', Value: strings.Repeat("x", 10000)}}}, "too long"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := marc.Write(&buf, &marc.Record{Leader: bookLeader, Fields: []marc.Field{tt.f}})
		if err == nil || !strings.Contains(err.Error(), tt.want) || buf.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written; want error with %q", tt.name, err, buf.Len(), tt.want)
		}
	}
	var many []marc.Field
	for i := 0; i < 20; i++ {
		many = append(many, marc.Field{Tag: "500", Subfields: []marc.Subfield{{Code: 'a', Value: strings.Repeat("y", 9000)}}})
	}
	if _, err := marc.Marshal(&marc.Record{Fields: many}); !errors.Is(err, marc.ErrTooLong) {
		t.Errorf("record over 99999 bytes: %v, want ErrTooLong", err)
	}
}

// TestUTF8Normalised: UTF-8 text comes out in NFC whatever its form.
func TestUTF8Normalised(t *testing.T) {
	tests := []struct{ in, want string }{
		{"S\u0301a\u0304ha", "Śāha"},                 // nepali.marc style
		{"fu\u0308r", "für"},                         // Wiegenlied
		{"e\u0301\u0323", "\u1eb9\u0301"},            // marks reordered: dot below first
		{"\u00e9\u0323", "\u1eb9\u0301"},             // precomposed letter opened up
		{"\u05e9\u05c1\u05bc", "\u05e9\u05bc\u05c1"}, // Hebrew points: excluded composites stay open
		{"\u0915\u093c", "\u0915\u093c"},             // Devanagari nukta: composition excluded
		{"\u0b47\u0b3e", "\u0b4b"},                   // Oriya two-part vowel
		{"plain ASCII", "plain ASCII"},
	}
	for _, tt := range tests {
		b, err := marc.Marshal(&marc.Record{Leader: bookLeader, Fields: []marc.Field{
			{Tag: "245", Subfields: []marc.Subfield{{Code: 'a', Value: tt.in}}}}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := marc.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Fields[0].Sub('a'); got != tt.want {
			t.Errorf("%+q: got %+q, want %+q", tt.in, got, tt.want)
		}
	}
}
