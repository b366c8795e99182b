package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"stacks/branch/domain"
)

// Relevance tiers: the strongest way a title matched.
const (
	tierOther   = 1
	tierSubject = 2
	tierSeries  = 3
	tierAuthor  = 4
	tierExactAu = 5
	tierTitle   = 6
	tierPrefix  = 7
	tierExact   = 8
	tierIdent   = 9
)

type hit struct {
	doc  uint32
	tier uint8
}

// Search answers q.
func (x *Index) Search(ctx context.Context, q domain.SearchQuery) (*domain.SearchResult, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if err := x.sync(ctx); err != nil {
		return nil, err
	}
	hits, err := x.match(ctx, q.Q)
	if err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	f := x.filters(q)
	// Per matched live doc: which filters it passes.
	all := uint16(1)<<len(domain.FacetNames) - 1
	type passing struct {
		h    hit
		mask uint16
	}
	ps := make([]passing, 0, len(hits))
	for _, h := range hits {
		if int(h.doc) >= len(x.docs) || !x.docs[h.doc].live {
			continue
		}
		ps = append(ps, passing{h, f.mask(&x.docs[h.doc])})
	}
	// Facet counts: works having a doc that passes every other facet's
	// filter and has the value (so a count is what selecting it returns).
	counts := make([]map[uint32]int, len(domain.FacetNames))
	seen := make([]map[uint64]bool, len(domain.FacetNames))
	for i := range counts {
		counts[i] = map[uint32]int{}
		seen[i] = map[uint64]bool{}
	}
	works := map[uint32]*workHit{}
	var order []uint32
	for _, p := range ps {
		d := &x.docs[p.h.doc]
		if p.mask == all {
			w := works[d.work]
			if w == nil {
				w = &workHit{work: d.work, best: p.h}
				works[d.work] = w
				order = append(order, d.work)
			}
			w.docs = append(w.docs, p.h.doc)
			if x.better(p.h, w.best) {
				w.best = p.h
			}
		}
		for fi := range domain.FacetNames {
			bit := uint16(1) << fi
			if p.mask|bit != all {
				continue
			}
			x.values(fi, d, func(v uint32) {
				k := uint64(v)<<32 | uint64(d.work)
				if !seen[fi][k] {
					seen[fi][k] = true
					counts[fi][v]++
				}
			})
		}
	}
	res := &domain.SearchResult{Total: len(order), Page: q.Page, PerPage: q.PerPage, Facets: x.facetValues(q, counts)}
	list := make([]*workHit, 0, len(order))
	for _, w := range order {
		list = append(list, works[w])
	}
	x.sortWorks(list, q.Sort)
	from := (q.Page - 1) * q.PerPage
	if from < len(list) {
		list = list[from:min(len(list), from+q.PerPage)]
	} else {
		list = nil
	}
	res.Works = make([]domain.Work, 0, len(list))
	for _, w := range list {
		wk, err := x.workOf(ctx, w)
		if err != nil {
			return nil, err
		}
		res.Works = append(res.Works, wk)
	}
	return res, nil
}

type workHit struct {
	work uint32
	best hit
	docs []uint32
}

// better orders hits by relevance: tier, then popularity, then recency.
func (x *Index) better(a, b hit) bool {
	if a.tier != b.tier {
		return a.tier > b.tier
	}
	da, db := &x.docs[a.doc], &x.docs[b.doc]
	if da.popularity != db.popularity {
		return da.popularity > db.popularity
	}
	if da.year != db.year {
		return da.year > db.year
	}
	return a.doc < b.doc
}

func (x *Index) sortWorks(ws []*workHit, by string) {
	author := func(d *doc) string {
		if len(d.authors) == 0 {
			return "\uffff"
		}
		return x.authNorm[d.authors[0]]
	}
	slices.SortFunc(ws, func(a, b *workHit) int {
		da, db := &x.docs[a.best.doc], &x.docs[b.best.doc]
		var c int
		switch by {
		case "title":
			c = cmp.Compare(da.sortTitle, db.sortTitle)
		case "author":
			c = cmp.Compare(author(da), author(db))
		case "date":
			c = -cmp.Compare(da.year, db.year)
		case "popularity":
			c = -cmp.Compare(da.popularity, db.popularity)
		}
		if c != 0 {
			return c
		}
		if x.better(a.best, b.best) {
			return -1
		}
		if x.better(b.best, a.best) {
			return 1
		}
		return 0
	})
}

// filter is a query's filters in memory's terms.
type filter struct {
	sets     [8]map[uint32]bool // by facet index; nil: no filter
	branches [2]bits            // available_at, library_id
	q        domain.SearchQuery
}

func (x *Index) filters(q domain.SearchQuery) *filter {
	f := &filter{q: q}
	ids := func(d *dict, vals []string) map[uint32]bool {
		if len(vals) == 0 {
			return nil
		}
		m := map[uint32]bool{}
		for _, v := range vals {
			if id, ok := d.ids[v]; ok {
				m[id] = true
			} else {
				m[^uint32(0)] = true // matches nothing
			}
		}
		return m
	}
	f.sets[0] = ids(&x.formats, q.Formats)
	f.sets[1] = ids(&x.languages, q.Languages)
	aud := slices.Clone(q.Audiences)
	for i, a := range aud {
		if a == "unknown" {
			aud[i] = ""
		}
	}
	f.sets[4] = ids(&x.audiences, aud)
	if len(q.Decades) > 0 {
		f.sets[5] = map[uint32]bool{}
		for _, d := range q.Decades {
			f.sets[5][uint32(d/10*10)] = true
		}
	}
	f.sets[6] = ids(&x.authors, q.Authors)
	f.sets[7] = ids(&x.subjects, q.Subjects)
	for i, vals := range [][]string{q.AvailableAt, q.Libraries} {
		for _, v := range vals {
			if id, ok := x.branches.ids[v]; ok && id < maxBranches {
				f.branches[i].set(int(id))
			}
		}
	}
	return f
}

// mask says which facets' filters d passes (bit i for domain.FacetNames[i]).
func (f *filter) mask(d *doc) uint16 {
	var m uint16
	in := func(i int, v uint32) bool { return f.sets[i] == nil || f.sets[i][v] }
	anyIn := func(i int, vs []uint32) bool {
		if f.sets[i] == nil {
			return true
		}
		for _, v := range vs {
			if f.sets[i][v] {
				return true
			}
		}
		return false
	}
	set := func(i int, ok bool) {
		if ok {
			m |= 1 << i
		}
	}
	set(0, in(0, uint32(d.format)))
	set(1, in(1, uint32(d.language)))
	set(2, len(f.q.AvailableAt) == 0 || d.anywhere || d.avail.and(f.branches[0]).any())
	set(3, len(f.q.Libraries) == 0 || d.owning.and(f.branches[1]).any())
	set(4, in(4, uint32(d.audience)))
	set(5, f.sets[5] == nil || d.year > 0 && f.sets[5][uint32(d.year/10*10)])
	set(6, anyIn(6, d.authors))
	set(7, anyIn(7, d.subjects))
	return m
}

// values calls fn with each value d has for facet fi (ids in the facet's
// dictionary; branch ids for the branch facets; the decade for decades).
func (x *Index) values(fi int, d *doc, fn func(uint32)) {
	switch fi {
	case 0:
		fn(uint32(d.format))
	case 1:
		fn(uint32(d.language))
	case 2:
		if d.anywhere {
			for i := range min(len(x.branches.vals), maxBranches) {
				fn(uint32(i))
			}
			return
		}
		d.avail.each(func(i int) { fn(uint32(i)) })
	case 3:
		d.owning.each(func(i int) { fn(uint32(i)) })
	case 4:
		fn(uint32(d.audience))
	case 5:
		if d.year > 0 {
			fn(uint32(d.year / 10 * 10))
		}
	case 6:
		for _, a := range d.authors {
			fn(a)
		}
	case 7:
		for _, s := range d.subjects {
			fn(s)
		}
	}
}

func (x *Index) facetValues(q domain.SearchQuery, counts []map[uint32]int) map[string][]domain.FacetValue {
	name := func(fi int, v uint32) string {
		switch fi {
		case 0:
			return x.formats.vals[v]
		case 1:
			return x.languages.vals[v]
		case 2, 3:
			return x.branches.vals[v]
		case 4:
			if a := x.audiences.vals[v]; a != "" {
				return a
			}
			return "unknown"
		case 5:
			return strconv.Itoa(int(v))
		case 6:
			return x.authors.vals[v]
		default:
			return x.subjects.vals[v]
		}
	}
	selected := [][]string{q.Formats, q.Languages, q.AvailableAt, q.Libraries, q.Audiences, nil, q.Authors, q.Subjects}
	for _, d := range q.Decades {
		selected[5] = append(selected[5], strconv.Itoa(d/10*10))
	}
	out := make(map[string][]domain.FacetValue, len(domain.FacetNames))
	for fi, name0 := range domain.FacetNames {
		vals := make([]domain.FacetValue, 0, len(counts[fi]))
		for v, n := range counts[fi] {
			s := name(fi, v)
			if s == "" {
				continue // no language, no format
			}
			vals = append(vals, domain.FacetValue{Value: s, Count: n, Selected: slices.Contains(selected[fi], s)})
		}
		slices.SortFunc(vals, func(a, b domain.FacetValue) int {
			if a.Selected != b.Selected {
				if a.Selected {
					return -1
				}
				return 1
			}
			if c := cmp.Compare(b.Count, a.Count); c != 0 {
				return c
			}
			return cmp.Compare(a.Value, b.Value)
		})
		if len(vals) > domain.MaxFacetValues {
			keep := vals[:domain.MaxFacetValues]
			for _, v := range vals[domain.MaxFacetValues:] {
				if v.Selected {
					keep = append(keep, v)
				}
			}
			vals = keep
		}
		out[name0] = vals
	}
	return out
}

// match returns every live title the words of q match, each with the
// strongest way it matched; an empty q matches every title.
func (x *Index) match(ctx context.Context, q string) ([]hit, error) {
	ws := words(q)
	if len(ws) == 0 {
		x.mu.RLock()
		defer x.mu.RUnlock()
		out := make([]hit, 0, len(x.docs))
		for i := range x.docs {
			if x.docs[i].live {
				out = append(out, hit{uint32(i), tierOther})
			}
		}
		return out, nil
	}
	tiers := map[uint32]uint8{}
	run := func(col string, query string, tier uint8) error {
		var s string
		m := query
		if col != "" {
			m = "{" + col + "} : (" + query + ")"
		}
		err := x.db.QueryRowContext(ctx, `SELECT coalesce(group_concat(rowid), '') FROM search_fts WHERE search_fts MATCH ?`, m).Scan(&s)
		if err != nil {
			return fmt.Errorf("search: match: %w", err)
		}
		for _, v := range strings.Split(s, ",") {
			if v == "" {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return fmt.Errorf("search: doc %q: %w", v, err)
			}
			if tiers[uint32(n)] < tier {
				tiers[uint32(n)] = tier
			}
		}
		return nil
	}
	if n := isbn13(strings.TrimSpace(q)); n != "" {
		if err := run("ident", ftsQuery([]string{n}), tierIdent); err != nil {
			return nil, err
		}
	}
	fq := ftsQuery(ws)
	if err := run("", fq, tierOther); err != nil {
		return nil, err
	}
	if len(tiers) == 0 {
		return nil, nil
	}
	for _, c := range []struct {
		col  string
		tier uint8
	}{{"subject", tierSubject}, {"series", tierSeries}, {"author", tierAuthor}, {"title", tierTitle}} {
		if err := run(c.col, fq, c.tier); err != nil {
			return nil, err
		}
	}
	folded := strings.Join(ws, " ")
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]hit, 0, len(tiers))
	for n, t := range tiers {
		if int(n) >= len(x.docs) {
			continue
		}
		d := &x.docs[n]
		switch {
		case t == tierIdent:
		case d.titleNorm == folded || d.sortTitle == folded:
			t = tierExact
		case t == tierTitle && (strings.HasPrefix(d.titleNorm, folded+" ") || strings.HasPrefix(d.sortTitle, folded+" ")):
			t = tierPrefix
		case t == tierAuthor:
			for _, a := range d.authors {
				if x.exactAuthor(a, folded) {
					t = tierExactAu
				}
			}
		}
		out = append(out, hit{n, t})
	}
	return out, nil
}

// exactAuthor reports whether folded names author a, as "Surname, First"
// or "First Surname".
func (x *Index) exactAuthor(a uint32, folded string) bool {
	n := x.authNorm[a]
	if n == folded {
		return true
	}
	ws := strings.Fields(n)
	if len(ws) < 2 {
		return false
	}
	return strings.Join(append(ws[1:], ws[0]), " ") == folded
}
