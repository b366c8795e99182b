package marc_test

import (
	"reflect"
	"testing"

	"stacks/branch/marc"
)

// TestBiblioSearchFields checks series, notes, audience, ISSN and every
// ISBN on real records and on synthetic ones.
func TestBiblioSearchFields(t *testing.T) {
	type fields struct {
		Series   []string
		Notes    string
		Audience string
		ISSN     string
		ISBNs    []string
	}
	of := func(b marc.Biblio) fields { return fields{b.Series, b.Notes, b.Audience, b.ISSN, b.ISBNs} }
	real := []struct {
		file string
		n    int
		want fields
	}{
		{"badisbns.xml", 3, fields{Series: []string{"A Bantam book", "Earthsea trilogy", "Bantam book"},
			Notes: "This is the third of the author's Earthsea trilogy.",
			ISBNs: []string{"9780553204308", "9780553268478"}}},
		{"serials_marc21.xml", 1, fields{ISSN: "0009-7330"}},
		{"FSL.marc", 2, fields{ISBNs: []string{"9785340001603"}}},
	}
	for _, tt := range real {
		got := of(records(t, readData(t, tt.file))[tt.n-1].Biblio())
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s record %d:\n got %#v\nwant %#v", tt.file, tt.n, got, tt.want)
		}
	}
	book008 := func(aud byte) string {
		b := []byte("020121s1999    cau           000 0 eng d")
		b[22] = aud
		return string(b)
	}
	synthetic := []struct {
		name string
		r    *marc.Record
		want fields
	}{
		{"008 juvenile", rec(bookLeader, "008 "+book008('j'), "245 10 $aA"), fields{Audience: "juvenile"}},
		{"008 adolescent", rec(bookLeader, "008 "+book008('d'), "245 10 $aA"), fields{Audience: "young_adult"}},
		{"008 general", rec(bookLeader, "008 "+book008('g'), "245 10 $aA"), fields{Audience: "adult"}},
		{"521 ages", rec(bookLeader, "008 "+book008(' '), "521 1 $a8-12."), fields{Audience: "young_adult"}},
		{"521 words", rec(bookLeader, "521 8 $aFor children."), fields{Audience: "juvenile"}},
		{"map 008/22 is not audience", rec("00000nem a2200000 a 4500", "008 "+book008('j')), fields{}},
		{"800 $t and 830", rec(bookLeader, "800 1 $aTolkien$tHistory of Middle-earth ;$v1", "830  0$aLord of the rings."),
			fields{Series: []string{"History of Middle-earth", "Lord of the rings"}}},
		{"020 $a and $z, 10 and 13", rec(bookLeader, "020   $a0-261-10221-4 (pbk.)", "020   $z9780261102217", "020   $a978-0-618-34399-7"),
			fields{ISBNs: []string{"9780261102217", "9780618343997"}}},
		{"520 before 500", rec(bookLeader, "500   $aA note.", "520   $aA summary."), fields{Notes: "A summary.\n\nA note."}},
		{"ISSN lower-case x", rec(bookLeader, "022   $a1234-567x"), fields{ISSN: "1234-567X"}},
	}
	for _, tt := range synthetic {
		if got := of(tt.r.Biblio()); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tt.name, got, tt.want)
		}
	}
}
