package search_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/search"
)

// recountDoc is one title as search_docs holds it, for the plain recount.
type recountDoc struct {
	doc    uint32
	work   string
	values [8][]string // by facet, as the facet names them
	live   bool
}

// recount counts, from the search_docs rows and a bare FTS5 MATCH, what
// Search's facets must say for q: for each facet and value, the works with
// a matched live title that passes every filter but that facet's and has
// the value; and the total (works passing every filter). No code of the
// index's counting is shared.
func recount(t *testing.T, l *lib, q domain.SearchQuery) (total int, counts [8]map[string]int) {
	t.Helper()
	db := l.svc.Read()
	var matched map[uint32]bool
	if strings.TrimSpace(q.Q) != "" {
		matched = map[uint32]bool{}
		rows, err := db.QueryContext(l.ctx, `SELECT rowid FROM search_fts WHERE search_fts MATCH ?`, search.FTSQuery(q.Q))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n uint32
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			matched[n] = true
		}
		rows.Close()
	}
	rows, err := db.QueryContext(l.ctx, `SELECT doc, work, format, language, audience, year, authors, subjects, owning, avail, gone FROM search_docs`)
	if err != nil {
		t.Fatal(err)
	}
	var docs []recountDoc
	branchSet := map[string]bool{}
	for rows.Next() {
		var d recountDoc
		var format, lang, aud, authors, subjects, owning, avail string
		var year int
		var gone bool
		if err := rows.Scan(&d.doc, &d.work, &format, &lang, &aud, &year, &authors, &subjects, &owning, &avail, &gone); err != nil {
			t.Fatal(err)
		}
		d.live = !gone
		if format != "" {
			d.values[0] = []string{format}
		}
		if lang != "" {
			d.values[1] = []string{lang}
		}
		if aud == "" {
			aud = "unknown"
		}
		d.values[4] = []string{aud}
		if year > 0 {
			d.values[5] = []string{strconv.Itoa(year / 10 * 10)}
		}
		_ = json.Unmarshal([]byte(authors), &d.values[6])
		_ = json.Unmarshal([]byte(subjects), &d.values[7])
		for _, b := range strings.Split(owning, ",") {
			if b != "" {
				d.values[3] = append(d.values[3], b)
				branchSet[b] = true
			}
		}
		for _, b := range strings.Split(avail, ",") {
			if b != "" {
				d.values[2] = append(d.values[2], b) // "*": every branch, below
				if b != "*" {
					branchSet[b] = true
				}
			}
		}
		docs = append(docs, d)
	}
	rows.Close()
	every := make([]string, 0, len(branchSet))
	for b := range branchSet {
		every = append(every, b)
	}
	decades := make([]string, 0, len(q.Decades))
	for _, d := range q.Decades {
		decades = append(decades, strconv.Itoa(d/10*10))
	}
	auds := slices.Clone(q.Audiences)
	filters := [8][]string{q.Formats, q.Languages, q.AvailableAt, q.Libraries, auds, decades, q.Authors, q.Subjects}
	passes := func(d *recountDoc, fi int) bool {
		if len(filters[fi]) == 0 {
			return true
		}
		for _, v := range d.values[fi] {
			if slices.Contains(filters[fi], v) {
				return true
			}
		}
		return false
	}
	works := map[string]bool{}
	var per [8]map[string]map[string]bool // facet -> value -> works
	for fi := range per {
		per[fi] = map[string]map[string]bool{}
	}
	for i := range docs {
		d := &docs[i]
		if !d.live || matched != nil && !matched[d.doc] {
			continue
		}
		if slices.Contains(d.values[2], "*") {
			d.values[2] = every
		}
		failed := -1
		ok := true
		for fi := range 8 {
			if !passes(d, fi) {
				if failed >= 0 {
					ok = false
					break
				}
				failed = fi
			}
		}
		if !ok {
			continue
		}
		if failed < 0 {
			works[d.work] = true
		}
		for fi := range 8 {
			if failed >= 0 && failed != fi {
				continue
			}
			for _, v := range d.values[fi] {
				if per[fi][v] == nil {
					per[fi][v] = map[string]bool{}
				}
				per[fi][v][d.work] = true
			}
		}
	}
	for fi := range per {
		counts[fi] = map[string]int{}
		for v, ws := range per[fi] {
			counts[fi][v] = len(ws)
		}
	}
	return len(works), counts
}

// TestFacetCountsEqualARecount: over random queries and filters, on one
// core and on two, every facet count Search gives equals a plain recount
// from the index's rows, no value missing that counts more than one shown,
// before and after titles, copies and availability change.
func TestFacetCountsEqualARecount(t *testing.T) {
	l := newLib(t, branchtest.Options{})
	for _, br := range []string{"WEST", "NORTH"} {
		if err := l.svc.SetLibrary(l.ctx, domain.Library{BranchID: br, Name: br, HoldShelfDays: 5}); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	vocab := []string{"river", "stone", "night", "garden", "winter", "harbour", "lantern", "orchard"}
	formats := []string{"book", "book", "ebook", "audiobook", "dvd", "large_print", "music_cd"}
	langs := []string{"eng", "eng", "fin", "swe", ""}
	branches := []string{"MAIN", "EAST", "WEST", "NORTH"}
	var people, topics []string
	for i := range 45 { // more than MaxFacetValues of each
		people = append(people, fmt.Sprintf("Author%02d, Anna", i))
		topics = append(topics, fmt.Sprintf("Topic %02d", i))
	}
	barcode := 0
	addTitles := func(n int) {
		nbs := make([]domain.NewBiblio, n)
		for i := range nbs {
			// Few titles and authors: works of several editions.
			nb := domain.NewBiblio{Title: vocab[r.IntN(len(vocab))] + " " + vocab[r.IntN(len(vocab))],
				Authors: []string{people[r.IntN(6)]}, Format: formats[r.IntN(len(formats))], Language: langs[r.IntN(len(langs))],
				Year: 1950 + r.IntN(70), Subjects: []string{topics[r.IntN(len(topics))], topics[r.IntN(len(topics))]}}
			if r.IntN(3) == 0 {
				nb.Authors = append(nb.Authors, people[r.IntN(len(people))])
			}
			if r.IntN(4) > 0 {
				nb.Audience = domain.Audiences[r.IntN(len(domain.Audiences))]
			}
			if nb.Format == "ebook" {
				nb.Licences = r.IntN(2) // a digital title without a licence is nowhere
			}
			nbs[i] = nb
		}
		ids, err := l.svc.AddBiblios(l.ctx, nbs)
		if err != nil {
			t.Fatal(err)
		}
		var items []domain.NewItem
		for i, id := range ids {
			if nbs[i].Format == "ebook" {
				continue
			}
			for range r.IntN(3) {
				barcode++
				items = append(items, domain.NewItem{Barcode: fmt.Sprintf("R%05d", barcode), BiblioID: id,
					HomeBranch: branches[r.IntN(len(branches))], ItemType: "BOOK"})
			}
		}
		if len(items) > 0 {
			if _, err := l.svc.AddItems(l.ctx, items); err != nil {
				t.Fatal(err)
			}
		}
	}
	addTitles(300)
	x := l.open()
	pick := func(vals []string) []string {
		out := []string{vals[r.IntN(len(vals))]}
		if r.IntN(3) == 0 {
			out = append(out, vals[r.IntN(len(vals))])
		}
		return out
	}
	check := func(round string) {
		t.Helper()
		for i := range 60 {
			q := domain.SearchQuery{PerPage: 5}
			if i%4 != 0 {
				q.Q = vocab[r.IntN(len(vocab))]
			}
			for range r.IntN(3) {
				switch r.IntN(8) {
				case 0:
					q.Formats = pick(formats)
				case 1:
					q.Languages = pick([]string{"eng", "fin", "swe"})
				case 2:
					q.AvailableAt = pick(branches)
				case 3:
					q.Libraries = pick(branches)
				case 4:
					q.Audiences = pick(domain.Audiences)
				case 5:
					q.Decades = []int{1950 + 10*r.IntN(7)}
				case 6:
					q.Authors = pick(people)
				case 7:
					q.Subjects = pick(topics)
				}
			}
			for _, parallel := range []bool{false, true} {
				restore := func() {}
				if parallel {
					restore = search.SetParallelCands(1)
				}
				got := l.search(x, q)
				restore()
				total, want := recount(t, l, q)
				if got.Total != total {
					t.Errorf("%s %+v (two cores %v): total %d, recount %d", round, q, parallel, got.Total, total)
				}
				for fi, name := range domain.FacetNames {
					shown := got.Facets[name]
					least := -1
					for _, v := range shown {
						if v.Count != want[fi][v.Value] {
							t.Errorf("%s %+v (two cores %v): %s=%s counted %d, recount %d", round, q, parallel, name, v.Value, v.Count, want[fi][v.Value])
						}
						if !v.Selected && (least < 0 || v.Count < least) {
							least = v.Count
						}
					}
					nonzero := 0
					for v, n := range want[fi] {
						if n == 0 {
							continue
						}
						nonzero++
						if !slices.ContainsFunc(shown, func(f domain.FacetValue) bool { return f.Value == v }) &&
							(len(shown) < domain.MaxFacetValues || n > least) {
							t.Errorf("%s %+v (two cores %v): %s=%s (recount %d) not shown; least shown %d", round, q, parallel, name, v, n, least)
						}
					}
					if len(shown) > max(domain.MaxFacetValues, nonzero) {
						t.Errorf("%s %+v: %s shows %d values of %d", round, q, name, len(shown), nonzero)
					}
				}
			}
		}
	}
	check("first")

	// Titles and copies change: new titles, copies added, copies lent
	// (available nowhere now), one returned.
	addTitles(60)
	p, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: "P1", Surname: "Reader", HomeBranch: "MAIN", Category: "ADULT", PIN: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	items, err := l.svc.Items(l.ctx, branch.ItemFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	lent := 0
	for i, it := range items {
		if i%5 != 0 || lent == 8 {
			continue
		}
		if _, err := l.svc.Checkout(l.ctx, domain.CheckoutRequest{PatronID: p.PatronID, ItemID: it.ItemID}); err != nil {
			t.Fatal(err)
		}
		lent++
	}
	if _, err := l.svc.Checkin(l.ctx, domain.CheckinRequest{Barcode: items[0].Barcode}); err != nil {
		t.Fatal(err)
	}
	check("after changes")
}
