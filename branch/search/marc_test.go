package search_test

import (
	"os"
	"testing"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/imports"
	"stacks/branch/marc"
)

// TestImportedRecords imports real MARC records (../shared/data/marc) and
// finds them by what the new biblio fields carry: a cancelled ISBN (020
// $z), a series (490), a summary (520), an ISSN (022), and words folded
// from accented text.
func TestImportedRecords(t *testing.T) {
	l := newLib(t, branchtest.Options{})
	im := imports.NewService(l.svc)
	for _, file := range []string{"badisbns.xml", "serials_marc21.xml", "jazz_1k.mrc"} {
		f, err := os.Open("/work/shared/data/marc/" + file)
		if os.IsNotExist(err) {
			t.Skip("no shared MARC data here")
		}
		if err != nil {
			t.Fatal(err)
		}
		_, err = imports.Read(f, 500, func(recs []imports.Record) error {
			_, err := im.Import(l.ctx, domain.ImportOptions{Action: domain.ImportActionAdd, Items: 1, Library: "MAIN", ItemType: "BOOK"}, recs)
			return err
		}, func(*marc.ParseError) {}, func(marc.Warning) {})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	x := l.open()
	for _, tt := range []struct{ q, title string }{
		{"9780553268478", "The farthest shore"},    // the record's second 020 $a
		{"earthsea trilogy", "The farthest shore"}, // series and notes
		{"0009-7330", "Circulation research"},      // ISSN
		{"killer tumbao", "Killer tumbao"},
		{"hilario duran", "Killer tumbao"}, // "Durán", folded
	} {
		r := l.search(x, domain.SearchQuery{Q: tt.q})
		if len(r.Works) == 0 || r.Works[0].Title != tt.title {
			var got string
			if len(r.Works) > 0 {
				got = r.Works[0].Title
			}
			t.Errorf("%q: first %q, want %q (%d results)", tt.q, got, tt.title, r.Total)
		}
	}
}
