package search_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/search"
)

// lib is a small library: MAIN and EAST, titles with copies.
type lib struct {
	t   *testing.T
	ctx context.Context
	env *branchtest.Env
	svc *branch.Service
	ids map[string]string // key -> biblio id
	n   int
}

func newLib(t *testing.T, o branchtest.Options) *lib {
	t.Helper()
	env := branchtest.Open(t, o)
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(t, ctx, env.Service)
	return &lib{t: t, ctx: ctx, env: env, svc: env.Service, ids: map[string]string{}}
}

// add adds a title with a copy at each of branches.
func (l *lib) add(key string, nb domain.NewBiblio, branches ...string) string {
	l.t.Helper()
	b, err := l.svc.AddBiblio(l.ctx, nb)
	if err != nil {
		l.t.Fatal(err)
	}
	for _, br := range branches {
		l.n++
		if _, err := l.svc.AddItem(l.ctx, domain.NewItem{Barcode: fmt.Sprintf("B%05d", l.n), BiblioID: b.BiblioID, HomeBranch: br, ItemType: "BOOK"}); err != nil {
			l.t.Fatal(err)
		}
	}
	l.ids[key] = b.BiblioID
	return b.BiblioID
}

func (l *lib) open() *search.Index {
	l.t.Helper()
	x, err := search.Open(l.ctx, l.svc, nil, l.env.Clock.Now)
	if err != nil {
		l.t.Fatal(err)
	}
	return x
}

func (l *lib) search(x *search.Index, q domain.SearchQuery) *domain.SearchResult {
	l.t.Helper()
	if q.PerPage == 0 {
		q.PerPage = 100
	}
	r, err := x.Search(l.ctx, q)
	if err != nil {
		l.t.Fatalf("search %+v: %v", q, err)
	}
	return r
}

// first is the biblio id of the first edition of the first result.
func first(r *domain.SearchResult) string {
	if len(r.Works) == 0 || len(r.Works[0].Editions) == 0 {
		return ""
	}
	return r.Works[0].Editions[0].BiblioID
}

func catalogue(t *testing.T) *lib {
	l := newLib(t, branchtest.Options{})
	l.add("hobbit", domain.NewBiblio{Title: "The Hobbit", Subtitle: "or There and Back Again", Authors: []string{"Tolkien, J. R. R."},
		ISBN: "9780261102217", ISBNs: []string{"9780261102217", "9780618260300"}, Year: 1937, Language: "eng",
		Subjects: []string{"Fantasy fiction"}, Audience: "juvenile", SortTitle: "Hobbit"}, "MAIN", "EAST")
	l.add("hobbit-dvd", domain.NewBiblio{Title: "The Hobbit", Authors: []string{"Tolkien, J. R. R."}, Format: "dvd", Year: 2012,
		Language: "eng", SortTitle: "Hobbit"}, "EAST")
	l.add("hobbit-e", domain.NewBiblio{Title: "The hobbit", Authors: []string{"Tolkien, J.R.R."}, Format: "ebook", Year: 2009,
		Language: "eng", Licences: 2, SortTitle: "hobbit"})
	l.add("lotr", domain.NewBiblio{Title: "The Fellowship of the Ring", Authors: []string{"Tolkien, J. R. R."}, Year: 1954,
		Series: []string{"The Lord of the Rings"}, Language: "eng", Subjects: []string{"Fantasy fiction"}}, "MAIN")
	l.add("hobbits", domain.NewBiblio{Title: "Hobbits and their habits", Authors: []string{"Smith, Anne"}, Year: 2001,
		Language: "eng", Subjects: []string{"Tolkien, J. R. R. -- Characters"}}, "MAIN")
	l.add("francais", domain.NewBiblio{Title: "Le français pour tous", Authors: []string{"Dupont, Élise"}, Year: 1988,
		Language: "fre", Subjects: []string{"French language -- Textbooks"}, Audience: "adult"}, "EAST")
	l.add("thethe", domain.NewBiblio{Title: "The The", Authors: []string{"Johnson, Matt"}, Year: 1983, Format: "music_cd"}, "MAIN")
	l.add("it", domain.NewBiblio{Title: "It", Authors: []string{"King, Stephen"}, Year: 1986, Language: "eng", Audience: "adult",
		Notes: "A novel about a clown that haunts a town."}, "MAIN", "EAST")
	l.add("it-about", domain.NewBiblio{Title: "Running an IT department", Authors: []string{"Doe, Jane"}, Year: 2015}, "MAIN")
	l.add("running", domain.NewBiblio{Title: "Runners", Authors: []string{"Roe, Ray"}, Year: 2010, Subjects: []string{"Running"}}, "EAST")
	l.add("serial", domain.NewBiblio{Title: "Circulation research", Format: "serial", ISSN: "0009-7330", Year: 1993}, "MAIN")
	l.add("king-about", domain.NewBiblio{Title: "Haunted towns", Authors: []string{"Other, Ann"}, Year: 2020,
		Notes: "Mentions Stephen King."}, "MAIN")
	return l
}

func TestKnownItems(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	for _, tt := range []struct{ q, want string }{
		{"the hobbit", "hobbit"},
		{"hobbit", "hobbit"},
		{"fellowship ring", "lotr"},
		{"Tolkien", "hobbit"},
		{"stephen king", "it"},
		{"King, Stephen", "it"},
		{"9780261102217", "hobbit"},
		{"0261102214", "hobbit"},
		{"0-618-26030-6", "hobbit"}, // the record's other ISBN, as ISBN-10
		{"lord of the rings", "lotr"},
		{"0009-7330", "serial"},
		{"circulation research", "serial"},
	} {
		r := l.search(x, domain.SearchQuery{Q: tt.q})
		if !firstWorkHas(r, l.ids[tt.want]) {
			t.Errorf("%q: first is %s, want %s (%s); %d results", tt.q, first(r), l.ids[tt.want], tt.want, r.Total)
		}
	}
}

// firstWorkHas reports whether the first result lists edition id.
func firstWorkHas(r *domain.SearchResult, id string) bool {
	if len(r.Works) == 0 {
		return false
	}
	for _, e := range r.Works[0].Editions {
		if e.BiblioID == id {
			return true
		}
	}
	return false
}

func TestFoldingStemmingStopWords(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	for _, tt := range []struct{ q, want string }{
		{"francais", "francais"}, // accent folding
		{"FRANÇAIS", "francais"},
		{"elise dupont", "francais"},
		{"The The", "thethe"}, // a title made of stop words
		{"it", "it"},
		{"run", "it-about"}, // stemming: "Running" in a title
		{"habit", "hobbits"},
	} {
		r := l.search(x, domain.SearchQuery{Q: tt.q})
		if got := first(r); got != l.ids[tt.want] {
			t.Errorf("%q: first is %s, want %s (%s); %d results", tt.q, got, l.ids[tt.want], tt.want, r.Total)
		}
	}
	// Stemming reaches both forms of "run".
	r := l.search(x, domain.SearchQuery{Q: "running"})
	var got []string
	for _, w := range r.Works {
		got = append(got, w.Editions[0].BiblioID)
	}
	if !slices.Contains(got, l.ids["running"]) || !slices.Contains(got, l.ids["it-about"]) {
		t.Errorf("running: %v, want both Runners and Running an IT department", got)
	}
}

func TestGroupedWorks(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	r := l.search(x, domain.SearchQuery{Q: "hobbit"})
	w := r.Works[0]
	if len(w.Editions) != 3 || !slices.Contains(w.Formats, "book") || !slices.Contains(w.Formats, "dvd") || !slices.Contains(w.Formats, "ebook") {
		t.Fatalf("hobbit work: %d editions, formats %v; want book, dvd and ebook grouped", len(w.Editions), w.Formats)
	}
	if !w.Online || !slices.Equal(w.AvailableAt, []string{"EAST", "MAIN"}) {
		t.Errorf("hobbit work: online %v, available at %v", w.Online, w.AvailableAt)
	}
	eds, err := x.Editions(l.ctx, l.ids["hobbit-dvd"])
	if err != nil || len(eds) != 3 {
		t.Fatalf("editions: %d (%v), want 3", len(eds), err)
	}
	if _, err := x.Editions(l.ctx, "nope"); err == nil {
		t.Error("editions of an unknown title: no error")
	}
}

// TestFacetCountsAreFilteredTotals selects every value of every facet of a
// set of queries and checks the total is the count the facet promised.
func TestFacetCountsAreFilteredTotals(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	for _, q := range []string{"", "hobbit", "tolkien", "the", "king"} {
		base := domain.SearchQuery{Q: q, Formats: nil}
		r := l.search(x, base)
		if q == "" && r.Total != 10 {
			t.Errorf("everything: %d works, want 10 (12 titles, hobbit's 3 editions one work)", r.Total)
		}
		for _, name := range domain.FacetNames {
			for _, v := range r.Facets[name] {
				fq := base
				switch name {
				case domain.FacetFormat:
					fq.Formats = []string{v.Value}
				case domain.FacetLanguage:
					fq.Languages = []string{v.Value}
				case domain.FacetAvailableAt:
					fq.AvailableAt = []string{v.Value}
				case domain.FacetLibrary:
					fq.Libraries = []string{v.Value}
				case domain.FacetAudience:
					fq.Audiences = []string{v.Value}
				case domain.FacetDecade:
					var d int
					fmt.Sscan(v.Value, &d)
					fq.Decades = []int{d}
				case domain.FacetAuthor:
					fq.Authors = []string{v.Value}
				case domain.FacetSubject:
					fq.Subjects = []string{v.Value}
				}
				got := l.search(x, fq)
				if got.Total != v.Count {
					t.Errorf("q=%q %s=%s: facet said %d, filter gives %d", q, name, v.Value, v.Count, got.Total)
				}
				// And across facets: the other facets' counts under this
				// filter are the totals of both filters.
				for _, f2 := range got.Facets[domain.FacetFormat] {
					if name == domain.FacetFormat {
						break
					}
					both := fq
					both.Formats = []string{f2.Value}
					if n := l.search(x, both).Total; n != f2.Count {
						t.Errorf("q=%q %s=%s format=%s: facet said %d, filter gives %d", q, name, v.Value, f2.Value, f2.Count, n)
					}
				}
			}
		}
	}
	// OR within a facet.
	r := l.search(x, domain.SearchQuery{Formats: []string{"dvd", "music_cd"}})
	if r.Total != 2 {
		t.Errorf("dvd or music_cd: %d, want 2", r.Total)
	}
}

func TestAvailabilityFollowsCheckouts(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	p, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: "P1", Surname: "Reader", HomeBranch: "MAIN", Category: "ADULT", PIN: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		r := l.search(x, domain.SearchQuery{Q: "fellowship", AvailableAt: []string{"MAIN"}})
		return r.Total
	}
	if n := count(); n != 1 {
		t.Fatalf("before: %d available at MAIN, want 1", n)
	}
	items, err := l.svc.Items(l.ctx, branch.ItemFilter{BiblioID: l.ids["lotr"]})
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	if _, err := l.svc.Checkout(l.ctx, domain.CheckoutRequest{PatronID: p.PatronID, ItemID: items[0].ItemID}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("after checkout: %d available at MAIN, want 0", n)
	}
	r := l.search(x, domain.SearchQuery{Q: "fellowship"})
	if len(r.Works) != 1 || r.Works[0].Popularity != 1 {
		t.Errorf("after checkout: popularity %+v, want 1", r.Works)
	}
	if _, err := l.svc.Checkin(l.ctx, domain.CheckinRequest{Barcode: items[0].Barcode}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("after return: %d available at MAIN, want 1", n)
	}
}

func TestRebuiltWhenDeleted(t *testing.T) {
	dir := t.TempDir()
	l := newLib(t, branchtest.Options{Dir: dir})
	l.add("a", domain.NewBiblio{Title: "Alpha"}, "MAIN")
	l.add("b", domain.NewBiblio{Title: "Beta"}, "MAIN")
	err := l.svc.Update(l.ctx, func(tx *branch.Txn) error {
		for _, q := range []string{`DELETE FROM search_fts`, `DELETE FROM search_docs`, `DELETE FROM search_meta WHERE k='version'`} {
			if _, err := tx.ExecContext(l.ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	x := l.open()
	if r := l.search(x, domain.SearchQuery{Q: "beta"}); first(r) != l.ids["b"] {
		t.Errorf("after rebuild: %+v", r)
	}
	if n := x.Len(); n != 2 {
		t.Errorf("after rebuild: %d titles, want 2", n)
	}
}

func TestReplicatedOpsUpdateTheIndex(t *testing.T) {
	a := newLib(t, branchtest.Options{Node: 1})
	b := newLib(t, branchtest.Options{Node: 2, Branch: "EAST"})
	xb := b.open()
	a.add("z", domain.NewBiblio{Title: "Zymurgy for beginners", Authors: []string{"Brewer, B."}}, "MAIN")
	branchtest.Exchange(t, a.svc, b.svc)
	r := b.search(xb, domain.SearchQuery{Q: "zymurgy", Libraries: []string{"MAIN"}, AvailableAt: []string{"MAIN"}})
	if first(r) != a.ids["z"] {
		t.Errorf("at b after exchange: %+v", r)
	}
}

func TestBadQueries(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	for _, q := range []domain.SearchQuery{{Sort: "random"}, {Formats: []string{"scroll"}}, {Audiences: []string{"elders"}}} {
		if _, err := x.Search(l.ctx, q); err == nil {
			t.Errorf("%+v: no error", q)
		}
	}
	// FTS syntax in the words is just words.
	for _, q := range []string{`"`, `hobbit OR`, `NEAR(a b)`, `{title}: x`, `*`, `-`} {
		if _, err := x.Search(l.ctx, domain.SearchQuery{Q: q}); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
}

func TestSorts(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	r := l.search(x, domain.SearchQuery{Sort: "date"})
	for i := 1; i < len(r.Works); i++ {
		if r.Works[i-1].Editions[0].Year < r.Works[i].Editions[0].Year {
			t.Fatalf("date order broken at %d: %d before %d", i, r.Works[i-1].Editions[0].Year, r.Works[i].Editions[0].Year)
		}
	}
	r = l.search(x, domain.SearchQuery{Sort: "title"})
	if r.Works[0].Title != "Circulation research" {
		t.Errorf("title order: first %q", r.Works[0].Title)
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"Le Français  pour tous!": "le francais pour tous", "ÉLISE": "elise",
		"Straße": "straße", "The The": "the the", "Tolkien, J. R. R.": "tolkien j r r", "": ""} {
		if got := search.Fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConcurrentSearches: searches run while titles are added; each sees
// a consistent index (under -race, no data race).
func TestConcurrentSearches(t *testing.T) {
	l := catalogue(t)
	x := l.open()
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 30 {
				r, err := x.Search(l.ctx, domain.SearchQuery{Q: []string{"hobbit", "", "tolkien", "concurrent"}[(g+i)%4]})
				if err == nil && r.Total < 0 {
					err = fmt.Errorf("negative total")
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := range 20 {
		l.add(fmt.Sprint("c", i), domain.NewBiblio{Title: fmt.Sprintf("Concurrent title %d", i)}, "MAIN")
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if r := l.search(x, domain.SearchQuery{Q: "concurrent"}); r.Total != 20 {
		t.Errorf("after the adds: %d, want 20", r.Total)
	}
}

// TestCopyMovedToAnotherTitle: a copy whose title changes (an item.set op
// writing its biblio_id, as a cataloguer's "move item" or a replicated
// edit does) leaves the old title's owning and available branches as
// well as adding to the new one's: both titles are re-derived.
func TestCopyMovedToAnotherTitle(t *testing.T) {
	l := newLib(t, branchtest.Options{})
	from := l.add("from", domain.NewBiblio{Title: "Quarantine stories"}, "EAST")
	to := l.add("to", domain.NewBiblio{Title: "Quokka tales"}, "MAIN")
	x := l.open()
	at := func(q, lib string) (owned, avail int) {
		t.Helper()
		owned = l.search(x, domain.SearchQuery{Q: q, Libraries: []string{lib}}).Total
		avail = l.search(x, domain.SearchQuery{Q: q, AvailableAt: []string{lib}}).Total
		return owned, avail
	}
	if o, a := at("quarantine", "EAST"); o != 1 || a != 1 {
		t.Fatalf("before: quarantine owned/available at EAST %d/%d, want 1/1", o, a)
	}
	items, err := l.svc.Items(l.ctx, branch.ItemFilter{BiblioID: from})
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	err = l.svc.Update(l.ctx, func(tx *branch.Txn) error {
		_, err := tx.Emit(l.ctx, branch.KindItemSet, map[string]any{
			"key": map[string]any{"item_id": items[0].ItemID}, "fields": map[string]any{"biblio_id": to}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if o, a := at("quarantine", "EAST"); o != 0 || a != 0 {
		t.Errorf("after the move: the old title is still owned/available at EAST %d/%d, want 0/0", o, a)
	}
	if o, a := at("quokka", "EAST"); o != 1 || a != 1 {
		t.Errorf("after the move: the new title owned/available at EAST %d/%d, want 1/1", o, a)
	}
	r := l.search(x, domain.SearchQuery{Q: "quarantine"})
	if r.Total != 1 || len(r.Works) != 1 || len(r.Works[0].AvailableAt) != 0 {
		t.Errorf("after the move: the old title's work %+v, want no branch with a copy on the shelf", r.Works)
	}
}

// TestCatchUpGivesWayToBulkLoad: the background catch-up does nothing while
// ops arrive in bulk (an import), catches up once they stop, and a search
// in between still sees everything.
func TestCatchUpGivesWayToBulkLoad(t *testing.T) {
	l := newLib(t, branchtest.Options{})
	x := l.open()
	search.SetBulkOps(x, 5)
	dirty := func() int {
		t.Helper()
		var n int
		if err := l.svc.Read().QueryRowContext(l.ctx, `SELECT count(*) FROM search_dirty`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := x.CatchUp(l.ctx); err != nil {
		t.Fatal(err)
	}
	l.add("a", domain.NewBiblio{Title: "Aardvarks"}, "MAIN", "EAST", "MAIN")
	l.add("b", domain.NewBiblio{Title: "Badgers"}, "MAIN", "EAST", "MAIN")
	if err := x.CatchUp(l.ctx); err != nil {
		t.Fatal(err)
	}
	if n := dirty(); n == 0 {
		t.Fatal("8 ops since the last catch-up (more than 5): the catch-up should have waited")
	}
	if r := l.search(x, domain.SearchQuery{Q: "badgers"}); first(r) != l.ids["b"] {
		t.Fatalf("a search during the bulk load: %+v", r)
	}
	l.add("c", domain.NewBiblio{Title: "Cormorants"}, "MAIN")
	if err := x.CatchUp(l.ctx); err != nil {
		t.Fatal(err)
	}
	if n := dirty(); n != 0 {
		t.Errorf("2 ops since the last catch-up: %d keys still to re-derive, want 0", n)
	}
}

// TestSearchDoesNotWaitForALargeBacklog: a search re-derives a small
// backlog before it answers, but past the limit (the end of a large
// import) it answers at once from the index as it stands, and the node's
// catch-up derives the rest.
func TestSearchDoesNotWaitForALargeBacklog(t *testing.T) {
	l := newLib(t, branchtest.Options{})
	x := l.open()
	search.SetMaxBacklog(x, 4)
	l.add("a", domain.NewBiblio{Title: "Aardvarks"}, "MAIN")
	if r := l.search(x, domain.SearchQuery{Q: "aardvarks"}); first(r) != l.ids["a"] {
		t.Fatalf("a small backlog is derived before the search answers: %+v", r)
	}
	l.add("b", domain.NewBiblio{Title: "Badgers"}, "MAIN", "EAST", "MAIN")
	l.add("c", domain.NewBiblio{Title: "Cormorants"}, "MAIN", "EAST")
	if r := l.search(x, domain.SearchQuery{Q: "badgers"}); r.Total != 0 {
		t.Fatalf("7 keys waiting (more than 4): the search should answer from the index as it stands, got %+v", r)
	}
	if r := l.search(x, domain.SearchQuery{Q: "aardvarks"}); first(r) != l.ids["a"] {
		t.Fatalf("what was indexed is still found: %+v", r)
	}
	if err := x.CatchUp(l.ctx); err != nil {
		t.Fatal(err)
	}
	if r := l.search(x, domain.SearchQuery{Q: "badgers"}); first(r) != l.ids["b"] {
		t.Fatalf("after the catch-up: %+v", r)
	}
}
