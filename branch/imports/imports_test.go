package imports_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/imports"
	"stacks/branch/marc"
)

// dataDir holds the real MARC files shared by the project's tests.
const dataDir = "../../../shared/data/marc"

func mustNoErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// env is a branch service with a library (MAIN, EAST) and an item type
// (BOOK), and its importer.
type env struct {
	*branchtest.Env
	imp *imports.Service
	ctx context.Context
}

func open(tb testing.TB, o branchtest.Options) *env {
	tb.Helper()
	e := branchtest.Open(tb, o)
	ctx := branchtest.Admin(context.Background())
	for _, id := range []string{"MAIN", "EAST"} {
		mustNoErr(tb, e.Service.SetLibrary(ctx, domain.Library{BranchID: id, Name: id + " library", HoldShelfDays: 7}))
	}
	mustNoErr(tb, e.Service.SetItemType(ctx, domain.ItemType{ItemType: "BOOK", Description: "Book"}))
	return &env{Env: e, imp: imports.NewService(e.Service), ctx: ctx}
}

func (e *env) count(tb testing.TB, q string) int {
	tb.Helper()
	var n int
	mustNoErr(tb, e.DB.Read().QueryRow(q).Scan(&n))
	return n
}

// summary counts outcomes.
type summary struct {
	read, bad                        int
	added, overlaid, skipped, failed int
	items                            int
	badAt                            []*marc.ParseError
	results                          []domain.ImportResult
}

func (e *env) importBytes(tb testing.TB, data []byte, opts domain.ImportOptions) summary {
	tb.Helper()
	var s summary
	n, err := imports.Read(bytes.NewReader(data), 100, func(recs []imports.Record) error {
		res, err := e.imp.Import(e.ctx, opts, recs)
		if err != nil {
			return err
		}
		for _, r := range res {
			switch r.Outcome {
			case domain.ImportAdded:
				s.added++
			case domain.ImportOverlaid:
				s.overlaid++
			case domain.ImportSkipped:
				s.skipped++
			case domain.ImportFailed:
				s.failed++
			}
			s.items += r.Items
		}
		s.results = append(s.results, res...)
		return nil
	}, func(pe *marc.ParseError) { s.bad++; s.badAt = append(s.badAt, pe) }, nil)
	mustNoErr(tb, err)
	s.read = n
	return s
}

// recordsIn counts a file's records without the MARC reader: record
// terminators in ISO 2709, <record elements in MARCXML.
func recordsIn(data []byte) int {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		return bytes.Count(data, []byte("<record"))
	}
	return bytes.Count(data, []byte{0x1d})
}

// yazCount counts the records of an ISO 2709 file with yaz-marcdump, a
// reader that is not ours (.ci/run installs it); false if it is not
// installed or the file is MARCXML.
func yazCount(tb testing.TB, file string) (int, bool) {
	yaz, err := exec.LookPath("yaz-marcdump")
	if err != nil || strings.HasSuffix(file, ".xml") {
		return 0, false
	}
	out, err := exec.Command(yaz, "-np", file).Output()
	mustNoErr(tb, err)
	return bytes.Count(out, []byte("<!-- Record ")), true
}

func marcFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, pat := range []string{"*.mrc", "*.marc", "*.xml", "rda/*.mrc"} {
		m, err := filepath.Glob(filepath.Join(dataDir, pat))
		mustNoErr(tb, err)
		files = append(files, m...)
	}
	if len(files) < 10 {
		tb.Fatalf("only %d MARC files in %s", len(files), dataDir)
	}
	return files
}

func TestImportEveryFile(t *testing.T) {
	known := map[string]int{"jazz_1k.mrc": 1000, "nepali.marc": 96, "hebrew.marc": 20, "map_data.mrc": 3, "badisbns.xml": 10}
	for _, f := range marcFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			mustNoErr(t, err)
			want := recordsIn(data)
			if k, ok := known[filepath.Base(f)]; ok && k != want {
				t.Fatalf("the file holds %d records, its README says %d", want, k)
			}
			if n, ok := yazCount(t, f); ok && n != want {
				t.Fatalf("yaz-marcdump counts %d records, the terminators %d", n, want)
			}
			e := open(t, branchtest.Options{})
			s := e.importBytes(t, data, domain.ImportOptions{})
			if s.read != want || s.bad != 0 || s.failed != 0 {
				t.Fatalf("read %d of %d records, %d bad, %d failed: %+v", s.read, want, s.bad, s.failed, s.badAt)
			}
			if s.added+s.skipped != want || s.added == 0 {
				t.Fatalf("added %d + skipped %d != %d records", s.added, s.skipped, want)
			}
			if got := e.count(t, `SELECT count(*) FROM biblios`); got != s.added {
				t.Fatalf("%d titles in the catalogue, %d added", got, s.added)
			}
			// Re-running the file adds nothing.
			ops := e.count(t, `SELECT count(*) FROM ops`)
			again := e.importBytes(t, data, domain.ImportOptions{})
			if again.added != 0 || again.skipped != want || e.count(t, `SELECT count(*) FROM ops`) != ops {
				t.Fatalf("re-import: added %d, skipped %d of %d; ops %d -> %d", again.added, again.skipped, want, ops,
					e.count(t, `SELECT count(*) FROM ops`))
			}
			t.Logf("%d records: %d added, %d matched within the file", want, s.added, s.skipped)
		})
	}
}

// rec builds a record with a title and the given fields.
func rec(title string, fields ...marc.Field) *marc.Record {
	r := &marc.Record{Leader: "00000nam a2200000 a 4500"}
	r.Fields = append(r.Fields, fields...)
	r.Fields = append(r.Fields, marc.Field{Tag: "245", Ind1: '1', Ind2: '0', Subfields: []marc.Subfield{{Code: 'a', Value: title}}})
	return r
}

func ctl(tag, v string) marc.Field { return marc.Field{Tag: tag, Value: v} }

func data(tag string, subs ...string) marc.Field {
	f := marc.Field{Tag: tag, Ind1: ' ', Ind2: ' '}
	for _, s := range subs {
		f.Subfields = append(f.Subfields, marc.Subfield{Code: s[0], Value: s[1:]})
	}
	return f
}

func (e *env) one(tb testing.TB, opts domain.ImportOptions, r *marc.Record) domain.ImportResult {
	tb.Helper()
	res, err := e.imp.Import(e.ctx, opts, []imports.Record{{Ordinal: 1, MARC: r}})
	mustNoErr(tb, err)
	if len(res) != 1 {
		tb.Fatalf("%d results for one record", len(res))
	}
	return res[0]
}

func TestMatching(t *testing.T) {
	for _, tc := range []struct {
		name     string
		first    *marc.Record
		second   *marc.Record
		match    []string
		wantRule string // "" means no match: the second is added
	}{
		{"ISBN10vs13", rec("A", data("020", "a0-306-40615-2")), rec("A2", data("020", "a9780306406157")), nil, domain.ImportMatchISBN},
		{"ISBN13vs10", rec("A", data("020", "a978-0-306-40615-7")), rec("A2", data("020", "a0306406152")), nil, domain.ImportMatchISBN},
		{"Qualifier", rec("B", data("020", "a080442957X (pbk.) :", "c$12.00")), rec("B2", data("020", "a080442957x")), nil, domain.ImportMatchISBN},
		{"CancelledISBN", rec("C", data("020", "z0306406152")), rec("C2", data("020", "a9780306406157 (hardcover)")), nil, domain.ImportMatchISBN},
		{"OtherISBN", rec("D", data("020", "a0306406152")), rec("D2", data("020", "a080442957X")), nil, ""},
		{"035", rec("E", data("035", "a(OCoLC)ocm00012345")), rec("E2", data("035", "a(OCoLC) 12345")), nil, domain.ImportMatchSystem},
		{"035OtherSystem", rec("F", data("035", "a(DLC)12345")), rec("F2", data("035", "a(OCoLC)12345")), nil, ""},
		{"001+003", rec("G", ctl("001", "u123"), ctl("003", "NjP")), rec("G2", ctl("001", "u123"), ctl("003", "njp")), nil, domain.ImportMatchControl},
		{"001OtherAgency", rec("H", ctl("001", "u123"), ctl("003", "NjP")), rec("H2", ctl("001", "u123"), ctl("003", "DLC")), nil, ""},
		{"RuleNotChosen", rec("I", data("035", "a(OCoLC)777")), rec("I2", data("035", "a(OCoLC)777")), []string{"isbn"}, ""},
		{"FirstRuleWins", rec("J", data("020", "a0306406152"), ctl("001", "x1")), rec("J2", data("020", "a0306406152"), ctl("001", "x1")),
			[]string{"001", "isbn"}, domain.ImportMatchControl},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := open(t, branchtest.Options{})
			opts := domain.ImportOptions{Match: tc.match}
			a := e.one(t, opts, tc.first)
			if a.Outcome != domain.ImportAdded {
				t.Fatalf("first: %+v", a)
			}
			b := e.one(t, opts, tc.second)
			if tc.wantRule == "" {
				if b.Outcome != domain.ImportAdded || b.BiblioID == a.BiblioID {
					t.Fatalf("second should be added as a title of its own: %+v", b)
				}
				return
			}
			if b.Outcome != domain.ImportSkipped || b.BiblioID != a.BiblioID || b.MatchedBy != tc.wantRule {
				t.Fatalf("second should match the first (%s) by %s: %+v", a.BiblioID, tc.wantRule, b)
			}
		})
	}
}

func TestMatchesHandCatalogued(t *testing.T) {
	e := open(t, branchtest.Options{})
	b, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: "Typed in", ISBN: "0306406152"})
	mustNoErr(t, err)
	r := e.one(t, domain.ImportOptions{}, rec("Imported", data("020", "a978-0-306-40615-7 (pbk.)")))
	if r.Outcome != domain.ImportSkipped || r.BiblioID != b.BiblioID {
		t.Fatalf("%+v", r)
	}
}

// TestKeyRules: the rule names of marc.MatchKeys are the ones options
// and results use.
func TestKeyRules(t *testing.T) {
	if marc.KeyISBN != domain.ImportMatchISBN || marc.KeySystem != domain.ImportMatchSystem ||
		marc.KeyControl != domain.ImportMatchControl || marc.KeyRecord != domain.ImportMatchRecord {
		t.Fatal("marc's key rules and domain's match rules differ")
	}
}

func TestActions(t *testing.T) {
	e := open(t, branchtest.Options{})
	first := e.one(t, domain.ImportOptions{}, rec("Old title", data("020", "a0306406152")))
	over := e.one(t, domain.ImportOptions{Action: domain.ImportActionOverlay}, rec("New title", data("020", "a9780306406157"), data("100", "aAuthor, An.")))
	if over.Outcome != domain.ImportOverlaid || over.BiblioID != first.BiblioID {
		t.Fatalf("overlay: %+v", over)
	}
	b, err := e.Service.Biblio(e.ctx, first.BiblioID)
	mustNoErr(t, err)
	if b.Title != "New title" || len(b.Authors) != 1 || b.Authors[0] != "Author, An" {
		t.Fatalf("overlaid title: %+v", b)
	}
	eb, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: "E-book", Format: "ebook", Licences: 5, ISBN: "080442957X"})
	mustNoErr(t, err)
	ebook := rec("E-book [electronic resource]", data("020", "a9780804429573"), ctl("007", "cr |n|||||||||"))
	ebook.Leader = "00000nam a2200000 a 4500"
	if r := e.one(t, domain.ImportOptions{Action: domain.ImportActionOverlay}, ebook); r.Outcome != domain.ImportOverlaid || r.BiblioID != eb.BiblioID {
		t.Fatalf("overlay of an e-book: %+v", r)
	}
	if got, _ := e.Service.Biblio(e.ctx, eb.BiblioID); got.Format != "ebook" || got.Licences != 5 {
		t.Fatalf("an overlay lost the licence count: %+v", got)
	}
	add := e.one(t, domain.ImportOptions{Action: domain.ImportActionAdd}, rec("Dup", data("020", "a0306406152")))
	if add.Outcome != domain.ImportAdded || add.BiblioID == first.BiblioID {
		t.Fatalf("add: %+v", add)
	}
	if _, err := e.imp.Import(e.ctx, domain.ImportOptions{Action: "merge"}, nil); domain.ErrorCode(err) != "invalid" {
		t.Fatalf("unknown action: %v", err)
	}
	if _, err := e.imp.Import(e.ctx, domain.ImportOptions{Match: []string{"title"}}, nil); domain.ErrorCode(err) != "invalid" {
		t.Fatalf("unknown rule: %v", err)
	}
}

func TestDuplicatesWithinABatch(t *testing.T) {
	e := open(t, branchtest.Options{})
	res, err := e.imp.Import(e.ctx, domain.ImportOptions{}, []imports.Record{
		{Ordinal: 1, MARC: rec("One", data("020", "a0306406152"))},
		{Ordinal: 2, MARC: rec("One again", data("020", "a9780306406157"))},
	})
	mustNoErr(t, err)
	if res[0].Outcome != domain.ImportAdded || res[1].Outcome != domain.ImportSkipped || res[1].BiblioID != res[0].BiblioID {
		t.Fatalf("%+v", res)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	e := open(t, branchtest.Options{})
	data, err := os.ReadFile(filepath.Join(dataDir, "hebrew.marc"))
	mustNoErr(t, err)
	ops := e.count(t, `SELECT count(*) FROM ops`)
	s := e.importBytes(t, data, domain.ImportOptions{DryRun: true, Items: 2, Library: "EAST"})
	if s.added != 20 || s.items != 40 {
		t.Fatalf("dry run says %d added with %d copies, want 20 and 40", s.added, s.items)
	}
	if got := e.count(t, `SELECT count(*) FROM ops`); got != ops || e.count(t, `SELECT count(*) FROM biblios`) != 0 {
		t.Fatalf("dry run wrote: ops %d -> %d", ops, got)
	}
	real := e.importBytes(t, data, domain.ImportOptions{Items: 2, Library: "EAST"})
	if real.added != 20 || e.count(t, `SELECT count(*) FROM items WHERE home_branch='EAST'`) != 40 {
		t.Fatalf("import after the dry run: %+v", real)
	}
}

func TestTruncatedFile(t *testing.T) {
	all, err := os.ReadFile(filepath.Join(dataDir, "jazz_1k.mrc"))
	mustNoErr(t, err)
	// Five whole records, then half of the sixth.
	end, n := 0, 0
	for n < 5 {
		end += bytes.IndexByte(all[end:], 0x1d) + 1
		n++
	}
	sixth := bytes.IndexByte(all[end:], 0x1d) + 1
	cut := append(all[:end:end], all[end:end+sixth/2]...)
	e := open(t, branchtest.Options{})
	s := e.importBytes(t, cut, domain.ImportOptions{})
	if s.added != 5 || s.bad != 1 || s.read != 6 {
		t.Fatalf("read %d, added %d, bad %d", s.read, s.added, s.bad)
	}
	if pe := s.badAt[0]; pe.Record != 6 || pe.Offset != int64(end) {
		t.Fatalf("bad record reported as %d at %d, want 6 at %d", pe.Record, pe.Offset, end)
	}
	// A broken record in the middle: its neighbours import.
	mid := append(append(all[:end:end], []byte("00050nam  2200000   4500")...), all[end:end+sixth*3]...)
	e2 := open(t, branchtest.Options{})
	s2 := e2.importBytes(t, mid, domain.ImportOptions{})
	if s2.bad < 1 || s2.added < 7 {
		t.Fatalf("broken record in the middle: read %d, added %d, bad %d", s2.read, s2.added, s2.bad)
	}
}

func TestARefusedRecordLeavesTheRest(t *testing.T) {
	e := open(t, branchtest.Options{})
	noTitle := &marc.Record{Leader: "00000nam a2200000 a 4500", Fields: []marc.Field{data("020", "a0306406152")}}
	res, err := e.imp.Import(e.ctx, domain.ImportOptions{}, []imports.Record{
		{Ordinal: 1, MARC: rec("Good")},
		{Ordinal: 2, Offset: 1234, MARC: noTitle},
		{Ordinal: 3, MARC: rec("Bad item type", data("952", "aMAIN", "p123", "yNOPE"))},
		{Ordinal: 4, MARC: rec("Also good")},
	})
	mustNoErr(t, err)
	got := []string{res[0].Outcome, res[1].Outcome, res[2].Outcome, res[3].Outcome}
	if strings.Join(got, ",") != "added,error,error,added" || res[1].Offset != 1234 || res[1].Error == "" {
		t.Fatalf("%+v", res)
	}
	if n := e.count(t, `SELECT count(*) FROM biblios`); n != 2 {
		t.Fatalf("%d titles, want 2: nothing of a refused record is written", n)
	}
}

func TestItemsFromHoldings(t *testing.T) {
	e := open(t, branchtest.Options{})
	mustNoErr(t, e.Service.SetItemType(e.ctx, domain.ItemType{ItemType: "DVD", Description: "DVD"}))
	r := e.one(t, domain.ImportOptions{}, rec("Koha", data("952", "aEAST", "bMAIN", "p39999000001", "oJAZZ 781.65 ELL", "yDVD"),
		data("952", "aMAIN", "p39999000002")))
	if r.Items != 2 {
		t.Fatalf("%+v", r)
	}
	it, err := e.Service.ItemByBarcode(e.ctx, "39999000001")
	mustNoErr(t, err)
	if it.HomeBranch != "EAST" || it.CallNumber != "JAZZ 781.65 ELL" || it.ItemType != "DVD" || it.BiblioID != r.BiblioID {
		t.Fatalf("952 copy: %+v", it)
	}
	std := e.one(t, domain.ImportOptions{}, rec("MARC 21", data("852", "aOurLib", "bEAST", "hML3506", "i.E45 1990", "p39999000003")))
	it, err = e.Service.ItemByBarcode(e.ctx, "39999000003")
	mustNoErr(t, err)
	if std.Items != 1 || it.HomeBranch != "EAST" || it.CallNumber != "ML3506 .E45 1990" || it.ItemType != "BOOK" {
		t.Fatalf("852 copy: %+v %+v", std, it)
	}
	dup := e.one(t, domain.ImportOptions{}, rec("Same barcode", data("952", "aMAIN", "p39999000001")))
	if dup.Outcome != domain.ImportFailed || !strings.Contains(dup.Error, "39999000001") {
		t.Fatalf("a barcode in use: %+v", dup)
	}
	elsewhere := e.one(t, domain.ImportOptions{}, rec("Their copy", data("852", "aMadan Puraskar Pustakalaya", "p1")))
	if elsewhere.Outcome != domain.ImportAdded || elsewhere.Items != 0 || len(elsewhere.Warnings) != 1 {
		t.Fatalf("a copy of another library: %+v", elsewhere)
	}
	placed := e.one(t, domain.ImportOptions{Library: "EAST"}, rec("Their copy, placed", data("852", "aMadan Puraskar Pustakalaya", "p2")))
	if placed.Items != 1 || e.count(t, `SELECT count(*) FROM items WHERE barcode='2' AND home_branch='EAST'`) != 1 {
		t.Fatalf("a copy of another library, placed by --library: %+v", placed)
	}
	gen := e.one(t, domain.ImportOptions{Items: 3, Library: "EAST"}, rec("Generated"))
	if gen.Items != 3 || e.count(t, `SELECT count(*) FROM items WHERE biblio_id='`+gen.BiblioID+`' AND home_branch='EAST'`) != 3 {
		t.Fatalf("--items: %+v", gen)
	}
}

func TestImportsReplicate(t *testing.T) {
	a := open(t, branchtest.Options{Node: 1})
	b := open(t, branchtest.Options{Node: 2, Branch: "EAST"})
	data, err := os.ReadFile(filepath.Join(dataDir, "map_data.mrc"))
	mustNoErr(t, err)
	s := a.importBytes(t, data, domain.ImportOptions{Items: 1, Library: "MAIN"})
	branchtest.Exchange(t, a.Service, b.Service)
	if b.count(t, `SELECT count(*) FROM biblios`) != s.added || b.count(t, `SELECT count(*) FROM items`) != s.added {
		t.Fatal("imported titles and copies did not replicate")
	}
	// The match keys came with them: importing the file at the other node adds nothing.
	if again := b.importBytes(t, data, domain.ImportOptions{}); again.added != 0 {
		t.Fatalf("re-import at the replica added %d", again.added)
	}
	ha, err := a.Service.StateHash(context.Background())
	mustNoErr(t, err)
	branchtest.Exchange(t, b.Service, a.Service)
	hb, err := b.Service.StateHash(context.Background())
	mustNoErr(t, err)
	ha, err = a.Service.StateHash(context.Background())
	mustNoErr(t, err)
	if ha != hb {
		t.Fatal("replicas differ after exchanging their imports")
	}
}

// TestOverlayKeepsLocalEdits: an overlay replaces what imports wrote and
// keeps what staff changed since (a field whose clock is not the stamp of
// an import's write), here edited on another node; overlay-all replaces
// those too.
func TestOverlayKeepsLocalEdits(t *testing.T) {
	a := open(t, branchtest.Options{Node: 1})
	b := open(t, branchtest.Options{Node: 2, Branch: "EAST"})
	first := a.one(t, domain.ImportOptions{}, rec("Imported title", data("020", "a0306406152"), data("260", "bFirst Press,")))
	branchtest.Exchange(t, a.Service, b.Service)
	cur, err := b.Service.Biblio(b.ctx, first.BiblioID)
	mustNoErr(t, err)
	edit := domain.NewBiblio{Title: "Title the staff corrected", Subtitle: cur.Subtitle, Authors: cur.Authors, Subjects: cur.Subjects,
		ISBN: cur.ISBN, Language: cur.Language, Format: cur.Format, Publisher: cur.Publisher, Year: cur.Year,
		Series: cur.Series, Notes: cur.Notes, Audience: cur.Audience, ISSN: cur.ISSN, ISBNs: cur.ISBNs, SortTitle: cur.SortTitle}
	_, err = b.Service.UpdateBiblio(b.ctx, first.BiblioID, edit)
	mustNoErr(t, err)
	branchtest.Exchange(t, b.Service, a.Service)

	newer := rec("Imported title, revised", data("020", "a9780306406157"), data("260", "bSecond Press,"), data("100", "aWriter, A."))
	over := a.one(t, domain.ImportOptions{Action: domain.ImportActionOverlay}, newer)
	if over.Outcome != domain.ImportOverlaid || over.BiblioID != first.BiblioID || strings.Join(over.Kept, ",") != "title" {
		t.Fatalf("overlay: %+v", over)
	}
	got, err := a.Service.Biblio(a.ctx, first.BiblioID)
	mustNoErr(t, err)
	if got.Title != "Title the staff corrected" || got.Publisher != "Second Press" || len(got.Authors) != 1 {
		t.Fatalf("after overlay: %+v", got)
	}
	// Again: the title is still the staff's, the rest the import's.
	again := a.one(t, domain.ImportOptions{Action: domain.ImportActionOverlay}, rec("Third", data("020", "a0306406152"), data("260", "bThird Press,")))
	if strings.Join(again.Kept, ",") != "title" {
		t.Fatalf("second overlay kept %v", again.Kept)
	}
	if got, _ := a.Service.Biblio(a.ctx, first.BiblioID); got.Title != "Title the staff corrected" || got.Publisher != "Third Press" {
		t.Fatalf("after second overlay: %+v", got)
	}
	all := a.one(t, domain.ImportOptions{Action: domain.ImportActionOverlayAll}, newer)
	if all.Outcome != domain.ImportOverlaid || len(all.Kept) != 0 {
		t.Fatalf("overlay-all: %+v", all)
	}
	if got, _ := a.Service.Biblio(a.ctx, first.BiblioID); got.Title != "Imported title, revised" {
		t.Fatalf("after overlay-all: %+v", got)
	}
	// Now every field is the import's again: a plain overlay replaces all.
	last := a.one(t, domain.ImportOptions{Action: domain.ImportActionOverlay}, rec("Fourth", data("020", "a0306406152")))
	if got, _ := a.Service.Biblio(a.ctx, first.BiblioID); len(last.Kept) != 0 || got.Title != "Fourth" {
		t.Fatalf("overlay after overlay-all kept %v: %+v", last.Kept, got)
	}
	// The replicas agree.
	branchtest.Exchange(t, a.Service, b.Service)
	branchtest.Exchange(t, b.Service, a.Service)
	ha, err := a.Service.StateHash(context.Background())
	mustNoErr(t, err)
	hb, err := b.Service.StateHash(context.Background())
	mustNoErr(t, err)
	if ha != hb {
		t.Fatal("replicas differ")
	}
}

// TestRunOrder: a run's batches sent without waiting for answers are
// applied in order: batch 1, arriving first, waits for batch 0, so its
// record matches batch 0's record as it would sent after it.
func TestRunOrder(t *testing.T) {
	e := open(t, branchtest.Options{})
	type answer struct {
		res []domain.ImportResult
		err error
	}
	second := make(chan answer, 1)
	go func() {
		res, err := e.imp.Import(e.ctx, domain.ImportOptions{Run: "run-1", Seq: 1}, []imports.Record{{Ordinal: 2, MARC: rec("Later copy", data("020", "a9780306406157"))}})
		second <- answer{res, err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !imports.RunKnown("run-1") {
		if time.Now().After(deadline) {
			t.Fatal("batch 1 never arrived")
		}
		runtime.Gosched()
	}
	first, err := e.imp.Import(e.ctx, domain.ImportOptions{Run: "run-1", Seq: 0}, []imports.Record{{Ordinal: 1, MARC: rec("First", data("020", "a0306406152"))}})
	mustNoErr(t, err)
	a := <-second
	mustNoErr(t, a.err)
	if first[0].Outcome != domain.ImportAdded || a.res[0].Outcome != domain.ImportSkipped || a.res[0].BiblioID != first[0].BiblioID {
		t.Fatalf("batch 0: %+v; batch 1: %+v", first, a.res)
	}
}

// iso2709 builds one ISO 2709 record by hand, leader/09 as given, from
// fields written as tag + indicators and subfields (data fields) or tag +
// value (control fields), so that tests can damage it.
func iso2709(enc byte, fields ...string) []byte {
	var dir, body []byte
	for _, f := range fields {
		tag, val := f[:3], f[3:]
		start := len(body)
		body = append(append(body, val...), 0x1e)
		dir = append(dir, fmt.Sprintf("%s%04d%05d", tag, len(body)-start, start)...)
	}
	dir = append(dir, 0x1e)
	base := 24 + len(dir)
	total := base + len(body) + 1
	leader := fmt.Sprintf("%05dnam %c22%05d   4500", total, enc, base)
	return append(append(append([]byte(leader), dir...), body...), 0x1d)
}

// TestImportEncodingMismatchAndBrokenDirectory: a record whose leader says
// MARC-8 but whose text is UTF-8 imports as UTF-8, with a warning naming
// it; a record whose directory points outside it is reported with its
// number and byte offset and skipped, and the records around it import.
func TestImportEncodingMismatchAndBrokenDirectory(t *testing.T) {
	first := iso2709(' ', "001one", "24510\x1faCaf\xc3\xa9 society")
	broken := iso2709('a', "001two", "24510\x1faBroken")
	// The 245's entry says it starts 400 bytes into a body of 20.
	i := bytes.Index(broken, []byte("245"))
	copy(broken[i+7:i+12], "00400")
	last := iso2709('a', "001three", "24510\x1faAfter")
	file := append(append(append([]byte(nil), first...), broken...), last...)

	e := open(t, branchtest.Options{})
	var warns []string
	var bad []*marc.ParseError
	var results []domain.ImportResult
	n, err := imports.Read(bytes.NewReader(file), 100, func(recs []imports.Record) error {
		res, err := e.imp.Import(e.ctx, domain.ImportOptions{}, recs)
		results = append(results, res...)
		return err
	}, func(pe *marc.ParseError) { bad = append(bad, pe) }, func(w marc.Warning) { warns = append(warns, w.String()) })
	mustNoErr(t, err)
	if n != 3 || len(bad) != 1 || len(results) != 2 {
		t.Fatalf("read %d, bad %d, imported %d", n, len(bad), len(results))
	}
	if bad[0].Record != 2 || bad[0].Offset != int64(len(first)) {
		t.Fatalf("the broken record is reported as %d at %d, want 2 at %d", bad[0].Record, bad[0].Offset, len(first))
	}
	b, err := e.Service.Biblio(e.ctx, results[0].BiblioID)
	mustNoErr(t, err)
	if b.Title != "Café society" {
		t.Fatalf("title %q, want the UTF-8 read", b.Title)
	}
	if len(warns) == 0 || !strings.Contains(strings.Join(warns, "\n"), "record 1") {
		t.Fatalf("no warning names record 1: %q", warns)
	}
	if results[1].Ordinal != 3 || results[1].Outcome != domain.ImportAdded {
		t.Fatalf("the record after the broken one: %+v", results[1])
	}
}

// TestRunOrderRefusedBatch: a batch refused before its turn (bad options)
// hands the turn on at once: the next batch does not wait for it.
func TestRunOrderRefusedBatch(t *testing.T) {
	e := open(t, branchtest.Options{})
	if _, err := e.imp.Import(e.ctx, domain.ImportOptions{Run: "run-2", Seq: 0, Action: "merge"}, nil); domain.ErrorCode(err) != "invalid" {
		t.Fatalf("bad options: %v", err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	res, err := e.imp.Import(ctx, domain.ImportOptions{Run: "run-2", Seq: 1}, []imports.Record{{Ordinal: 1, MARC: rec("Next")}})
	if err != nil || res[0].Outcome != domain.ImportAdded {
		t.Fatalf("the batch after a refused one: %+v, %v", res, err)
	}
}

// TestKeysOneOpPerBatch: a batch's match keys are one imports.keys op,
// however many titles it adds; the one-op-per-title form earlier versions
// wrote (still in logs, and arriving from nodes not yet upgraded) applies
// as before: a record matching its keys is skipped.
func TestKeysOneOpPerBatch(t *testing.T) {
	e := open(t, branchtest.Options{})
	var recs []imports.Record
	for i := range 3 {
		recs = append(recs, imports.Record{Ordinal: i + 1, MARC: rec(fmt.Sprintf("T%d", i), data("035", fmt.Sprintf("a(OCoLC)%d", 900+i)))})
	}
	res, err := e.imp.Import(e.ctx, domain.ImportOptions{}, recs)
	mustNoErr(t, err)
	for _, r := range res {
		if r.Outcome != domain.ImportAdded {
			t.Fatalf("%+v", r)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM ops WHERE kind IN (SELECT id FROM op_names WHERE name='imports.keys')`); n != 1 {
		t.Errorf("%d imports.keys ops for a batch of 3 titles, want 1", n)
	}
	if n := e.count(t, `SELECT count(DISTINCT biblio_id) FROM biblio_match_keys`); n != 3 {
		t.Errorf("match keys of %d titles, want 3", n)
	}

	old, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: "Catalogued by an older version"})
	mustNoErr(t, err)
	mustNoErr(t, e.Service.Update(e.ctx, func(tx *branch.Txn) error {
		_, err := tx.Emit(e.ctx, imports.KindKeys, map[string]any{"biblio_id": old.BiblioID, "keys": marc.MatchKeys(rec("Other", data("035", "a(OCoLC)4242")))[:1]})
		return err
	}))
	got := e.one(t, domain.ImportOptions{}, rec("Again", data("035", "a(OCoLC)4242")))
	if got.Outcome != domain.ImportSkipped || got.BiblioID != old.BiblioID {
		t.Fatalf("a record matching keys of the one-title form: %+v, want skipped as %s", got, old.BiblioID)
	}
}
