package marc_test

import (
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"stacks/branch/marc"
)

// TestNFCAgainstXText checks the package's own normalisation (it uses the
// standard library only) against golang.org/x/text's NFC on text as
// records hold it: every code point of the scripts in library records
// alone, then followed by each common combining mark. It reads the text
// through a UTF-8 record, as an import does.
func TestNFCAgainstXText(t *testing.T) {
	var inputs []string
	marks := []rune{0x0300, 0x0301, 0x0302, 0x0303, 0x0308, 0x030C, 0x0323, 0x0327, 0x0328, 0x05B7, 0x0654, 0x093C, 0x0B3E, 0x3099}
	for r := rune(0x20); r < 0x3100; r++ {
		if !unicode.IsPrint(r) {
			continue
		}
		inputs = append(inputs, string(r))
		for _, m := range marks {
			inputs = append(inputs, string(r)+string(m))
		}
	}
	for r := rune(0xAC00); r < 0xFB50; r++ { // Hangul, CJK compatibility, presentation forms
		if unicode.IsPrint(r) {
			inputs = append(inputs, string(r))
		}
	}
	inputs = append(inputs, "\u1100\u1161", "\u1100\u1161\u11A8", "e\u0301\u0323", "\u0958", "\u212B", "\uF900")
	bad := 0
	for _, in := range inputs {
		want := norm.NFC.String("x" + in)
		rec := &marc.Record{Leader: bookLeader, Fields: []marc.Field{{Tag: "245", Subfields: []marc.Subfield{{Code: 'a', Value: "x" + in}}}}}
		b, err := marc.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := marc.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := back.Fields[0].Sub('a'); got != want {
			if bad++; bad <= 20 {
				t.Errorf("%+q: got %+q, NFC is %+q", "x"+in, got, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d strings not in NFC", bad, len(inputs))
	}
}
