package search

import (
	"cmp"
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"

	"stacks/branch/domain"
)

type workHit struct {
	work uint32
	best hit
	docs []uint32
}

// scratch is one search's working memory, dense arrays indexed by doc,
// work or facet value, reused between searches (Index.scratch).
type scratch struct {
	tier    []uint8 // by doc: the strongest way it matched; 0 not matched
	best    []int32 // by work: 1 + index in cands of its best passing doc
	next    []int32 // by candidate: the previous candidate of its work (countFacets)
	counts  [8][]int32
	counts1 [8][]int32     // the second core's counts (countFacets)
	seen    [2][8][]uint32 // by facet value: 1 + the work last counted (countPart)
}

// cand is a matched live title that passes every filter but at most one:
// what the facet counts read (mask: the filters it passes).
type cand struct {
	doc  uint32
	work uint32 // x.docs[doc].work, kept here: the loops over candidates then read no doc
	mask uint16
}

// decades is the size of the decade count array (years up to 65535).
const decades = 65536/10 + 1

func (x *Index) getScratch() *scratch {
	s, _ := x.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	grow := func(b []int32, n int) []int32 {
		if len(b) < n {
			return make([]int32, n)
		}
		return b[:n]
	}
	if len(s.tier) < len(x.docs) {
		s.tier = make([]uint8, len(x.docs)+len(x.docs)/8)
	}
	s.best = grow(s.best, x.works.len())
	sizes := [8]int{x.formats.len(), x.languages.len(), maxBranches, maxBranches, x.audiences.len(), decades,
		x.authors.len(), x.subjects.len()}
	for i, n := range sizes {
		s.counts[i] = grow(s.counts[i], n)
		if len(s.counts1[i]) < n {
			s.counts1[i] = make([]int32, n) // zero: countFacets leaves it so
		}
	}
	return s
}

// Search answers q: the works (editions and formats of one title and
// first author grouped) that match its words and filters, in its order,
// one page of them, the total and the facet counts. The words are matched
// by FTS5; filters, facets, ranking and grouping are counted in memory
// over the matched titles.
func (x *Index) Search(ctx context.Context, q domain.SearchQuery) (*domain.SearchResult, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if err := x.searchSync(ctx); err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := x.getScratch()
	defer x.scratch.Put(s)

	ws := words(q.Q)
	relevance := len(ws) > 0 && (q.Sort == "" || q.Sort == "relevance")
	var docs []uint32
	if len(ws) == 0 {
		docs = make([]uint32, 0, len(x.docs))
		for i := range x.docs {
			if x.docs[i].live {
				docs = append(docs, uint32(i))
				s.tier[i] = tierOther
			}
		}
	} else {
		var err error
		if docs, err = x.matchWords(ctx, s, q.Q, ws); err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, n := range docs {
			s.tier[n] = 0
		}
	}()

	f := x.filters(q)
	nf := len(domain.FacetNames)
	all := uint16(1)<<nf - 1
	cands := make([]cand, 0, len(docs))
	none := f.none()
	for _, n := range docs {
		d := &x.docs[n]
		if !d.live {
			continue
		}
		if none {
			cands = append(cands, cand{n, d.work, all})
		} else if m := f.mask(d); bits.OnesCount16(^m&all) <= 1 {
			cands = append(cands, cand{n, d.work, m})
		}
	}
	from := (q.Page - 1) * q.PerPage
	need := from + q.PerPage
	if relevance {
		if err := x.rankTiers(ctx, s, cands, all, ws, need); err != nil {
			return nil, err
		}
	}

	// Results: each work with a doc passing every filter, its best doc.
	var order []uint32
	for i, c := range cands {
		if c.mask != all {
			continue
		}
		w := c.work
		switch b := s.best[w]; {
		case b == 0:
			s.best[w] = int32(i + 1)
			order = append(order, w)
		case x.better(hit{c.doc, s.tier[c.doc]}, hit{cands[b-1].doc, s.tier[cands[b-1].doc]}):
			s.best[w] = int32(i + 1)
		}
	}
	bestOf := func(w uint32) hit {
		c := cands[s.best[w]-1]
		return hit{c.doc, s.tier[c.doc]}
	}
	page := x.topWorks(order, need, q.Sort, bestOf)
	if from < len(page) {
		page = page[from:]
	} else {
		page = nil
	}
	res := &domain.SearchResult{Total: len(order), Page: q.Page, PerPage: q.PerPage, Works: make([]domain.Work, 0, len(page))}
	onPage := make(map[uint32]*workHit, len(page))
	for _, w := range page {
		onPage[w] = &workHit{work: w, best: bestOf(w)}
	}
	for _, c := range cands {
		if c.mask == all {
			if wh := onPage[c.work]; wh != nil {
				wh.docs = append(wh.docs, c.doc)
			}
		}
	}
	for _, w := range order {
		s.best[w] = 0
	}

	x.countFacets(s, cands, all)
	res.Facets = x.facetValues(q, &s.counts)
	for i := range s.counts {
		clear(s.counts[i])
	}
	hits := make([]*workHit, len(page))
	for i, w := range page {
		hits[i] = onPage[w]
	}
	works, err := x.worksOf(ctx, hits)
	if err != nil {
		return nil, err
	}
	res.Works = append(res.Works, works...)
	return res, nil
}

// countFacets counts, for each facet value, the works with a candidate
// that passes every other facet's filter and has the value: what
// selecting the value then returns. A work with one candidate (most)
// is counted directly; a work with several de-duplicates its values.
func (x *Index) countFacets(s *scratch, cands []cand, all uint16) {
	// s.best is zero again here; use it to count each work's candidates.
	for _, c := range cands {
		s.best[c.work]++
	}
	if cap(s.next) < len(cands) {
		s.next = make([]int32, len(cands)+len(cands)/4)
	}
	// The works are split in two by parity, counted on two cores into two
	// sets of counts when the query matched many titles: a work's titles
	// are all in one half, so the halves' counts add up.
	parts := 1
	if len(cands) >= parallelCands && runtime.GOMAXPROCS(0) > 1 {
		parts = 2
	}
	if parts == 1 {
		x.countPart(s, cands, all, 0, 1)
	} else {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			x.countPart(s, cands, all, 1, 2)
		}()
		x.countPart(s, cands, all, 0, 2)
		wg.Wait()
		for fi := range s.counts {
			c, c1 := s.counts[fi], s.counts1[fi][:len(s.counts[fi])]
			for v, n := range c1 {
				if n != 0 {
					c[v] += n
					c1[v] = 0
				}
			}
		}
	}
	for _, c := range cands {
		s.best[c.work] = 0
	}
}

// parallelCands is how many candidates a query needs for its facets to be
// counted on two cores.
var parallelCands = 20000

// countPart counts the facets of the works w with w%parts == part, into
// s.counts (part 0) or s.counts1 (part 1). A work of one candidate counts
// its values at once. The candidates of a work of several are chained
// (s.next; s.best holds -(1+the last one's index)), and each of its
// values counts once.
func (x *Index) countPart(s *scratch, cands []cand, all uint16, part, parts uint32) {
	counts, seen := &s.counts, &s.seen[0]
	if part == 1 {
		counts, seen = &s.counts1, &s.seen[1]
	}
	next := s.next[:len(cands)]
	var multi []uint32
	for i, c := range cands {
		w := c.work
		if w%parts != part {
			continue
		}
		if b := s.best[w]; b > 1 || b < 0 {
			next[i] = -1
			if b < 0 {
				next[i] = -b - 1
			} else {
				multi = append(multi, w)
			}
			s.best[w] = -int32(i) - 1
			continue
		}
		x.countDoc(counts, &x.docs[c.doc], c.mask, all)
	}
	if len(multi) == 0 {
		return
	}
	// A value counts once per work: seen[fi][v] is 1 + the last work it
	// was counted for.
	for fi := range seen {
		if len(seen[fi]) < len(counts[fi]) {
			seen[fi] = make([]uint32, len(counts[fi]))
		}
	}
	for _, w := range multi {
		for i := -s.best[w] - 1; i >= 0; i = next[i] {
			c := cands[i]
			x.countDocOnce(counts, seen, &x.docs[c.doc], c.mask, all, w+1)
		}
	}
	for fi := range seen {
		clear(seen[fi])
	}
}

// countDoc counts d's values into the facets whose filters d passes
// once that facet's own filter is set aside (mask: the filters it passes):
// values, unrolled, with no closure or dictionary in the way, as it runs
// once for each matched title.
func (x *Index) countDoc(counts *[8][]int32, d *doc, mask, all uint16) {
	full := mask == all
	if full || mask|1 == all {
		counts[0][d.format]++
	}
	if full || mask|2 == all {
		counts[1][d.language]++
	}
	if full || mask|4 == all {
		c := counts[2]
		if d.anywhere {
			for i := range min(x.branches.len(), maxBranches) {
				c[i]++
			}
		} else {
			for w, b := range d.avail {
				for ; b != 0; b &= b - 1 {
					c[w*64+bits.TrailingZeros64(b)]++
				}
			}
		}
	}
	if full || mask|8 == all {
		c := counts[3]
		for w, b := range d.owning {
			for ; b != 0; b &= b - 1 {
				c[w*64+bits.TrailingZeros64(b)]++
			}
		}
	}
	if full || mask|16 == all {
		counts[4][d.audience]++
	}
	if (full || mask|32 == all) && d.year > 0 {
		counts[5][d.year/10*10]++
	}
	at, na, ns := d.lists, uint32(d.nAuthors), uint32(d.nSubjects)
	if full || mask|64 == all {
		c := counts[6]
		for _, a := range x.lists[at : at+na] {
			c[a]++
		}
	}
	if full || mask|128 == all {
		c := counts[7]
		for _, v := range x.lists[at+na : at+na+ns] {
			c[v]++
		}
	}
}

// countDocOnce is countDoc for one of several titles of work w-1: a
// value already counted for the work (seen) is not counted again.
func (x *Index) countDocOnce(counts *[8][]int32, seen *[8][]uint32, d *doc, mask, all uint16, w uint32) {
	full := mask == all
	once := func(fi int, v uint32) {
		if seen[fi][v] != w {
			seen[fi][v] = w
			counts[fi][v]++
		}
	}
	if full || mask|1 == all {
		once(0, uint32(d.format))
	}
	if full || mask|2 == all {
		once(1, uint32(d.language))
	}
	if full || mask|4 == all {
		if d.anywhere {
			for i := range min(x.branches.len(), maxBranches) {
				once(2, uint32(i))
			}
		} else {
			for wd, b := range d.avail {
				for ; b != 0; b &= b - 1 {
					once(2, uint32(wd*64+bits.TrailingZeros64(b)))
				}
			}
		}
	}
	if full || mask|8 == all {
		for wd, b := range d.owning {
			for ; b != 0; b &= b - 1 {
				once(3, uint32(wd*64+bits.TrailingZeros64(b)))
			}
		}
	}
	if full || mask|16 == all {
		once(4, uint32(d.audience))
	}
	if (full || mask|32 == all) && d.year > 0 {
		once(5, uint32(d.year/10*10))
	}
	at, na, ns := d.lists, uint32(d.nAuthors), uint32(d.nSubjects)
	if full || mask|64 == all {
		for _, a := range x.lists[at : at+na] {
			once(6, a)
		}
	}
	if full || mask|128 == all {
		for _, v := range x.lists[at+na : at+na+ns] {
			once(7, v)
		}
	}
}

// topWorks returns the first n works of order in the sort's order (the
// rest unsorted are not returned): a bounded selection, then a sort.
func (x *Index) topWorks(order []uint32, n int, by string, bestOf func(uint32) hit) []uint32 {
	author := func(d *doc) string {
		if d.nAuthors == 0 {
			return "\uffff"
		}
		return x.authNorm.get(x.authorsOf(d)[0])
	}
	compare := func(a, b uint32) int {
		ha, hb := bestOf(a), bestOf(b)
		da, db := &x.docs[ha.doc], &x.docs[hb.doc]
		var c int
		switch by {
		case "title":
			c = cmp.Compare(x.sortTitleOf(da), x.sortTitleOf(db))
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
		if x.better(ha, hb) {
			return -1
		}
		if x.better(hb, ha) {
			return 1
		}
		return 0
	}
	if len(order) <= 2*n+64 {
		out := slices.Clone(order)
		slices.SortFunc(out, compare)
		return out[:min(n, len(out))]
	}
	top := bestN[uint32]{h: make([]uint32, 0, n), n: n, cmp: compare}
	for _, w := range order {
		top.add(w)
	}
	slices.SortFunc(top.h, compare)
	return top.h
}

// matchWords finds the titles every word of ws matches (and, when raw is
// an ISBN or ISSN, the titles that carry it), marking them in s.tier.
func (x *Index) matchWords(ctx context.Context, s *scratch, raw string, ws []string) ([]uint32, error) {
	var docs []uint32
	add := func(n uint32, tier uint8) {
		if int(n) >= len(x.docs) {
			return // indexed after memory was synced
		}
		if s.tier[n] == 0 {
			docs = append(docs, n)
		}
		s.tier[n] = max(s.tier[n], tier)
	}
	raw = strings.TrimSpace(raw)
	if n := isbn13(raw); n != "" {
		if err := x.ftsIDs(ctx, "ident", ftsQuery([]string{n}), func(d uint32) { add(d, tierIdent) }); err != nil {
			return docs, err
		}
	} else if issn := issnOf(raw); issn != "" {
		if err := x.ftsIDs(ctx, "ident", ftsQuery([]string{issn}), func(d uint32) { add(d, tierIdent) }); err != nil {
			return docs, err
		}
	}
	err := x.ftsIDs(ctx, "", ftsQuery(ws), func(d uint32) { add(d, tierOther) })
	return docs, err
}

// rankTiers finds how each candidate matched: in its title (exactly, as
// a prefix, or the words anywhere), its author (exactly, or the words),
// series, subjects, or other fields. A weaker field's query is not run
// once the stronger ones fill the page with works passing every filter.
func (x *Index) rankTiers(ctx context.Context, s *scratch, cands []cand, all uint16, ws []string, need int) error {
	fq := ftsQuery(ws)
	folded := strings.Join(ws, " ")
	for _, c := range []struct {
		col  string
		tier uint8
	}{{"title", tierTitle}, {"author", tierAuthor}, {"series", tierSeries}, {"subject", tierSubject}} {
		if c.tier < tierTitle && x.filled(s, cands, all, c.tier, need) {
			break
		}
		mark := func(d uint32) {
			if int(d) < len(s.tier) && s.tier[d] != 0 && s.tier[d] < c.tier {
				s.tier[d] = c.tier
			}
		}
		if err := x.ftsIDs(ctx, c.col, fq, mark); err != nil {
			return err
		}
	}
	for _, c := range cands {
		d := &x.docs[c.doc]
		switch t := s.tier[c.doc]; {
		case t == tierIdent:
		case x.titleOf(d) == folded || x.sortTitleOf(d) == folded:
			s.tier[c.doc] = tierExact
		case t == tierTitle && (strings.HasPrefix(x.titleOf(d), folded+" ") || strings.HasPrefix(x.sortTitleOf(d), folded+" ")):
			s.tier[c.doc] = tierPrefix
		case t == tierAuthor:
			for _, a := range x.authorsOf(d) {
				if x.exactAuthor(a, folded) {
					s.tier[c.doc] = tierExactAu
				}
			}
		}
	}
	return nil
}

// filled reports whether need works pass every filter with a title
// matched more strongly than tier.
func (x *Index) filled(s *scratch, cands []cand, all uint16, tier uint8, need int) bool {
	works := map[uint32]bool{}
	for _, c := range cands {
		if c.mask == all && s.tier[c.doc] > tier {
			works[c.work] = true
			if len(works) >= need {
				return true
			}
		}
	}
	return false
}

// ftsIDs calls fn with the doc of every title an FTS5 query matches, in
// col ("" for every column). The ids come back as one string, parsed
// here: one row instead of one cgo call per match.
func (x *Index) ftsIDs(ctx context.Context, col, query string, fn func(uint32)) error {
	if query == "" {
		return nil
	}
	m := query
	if col != "" {
		m = "{" + col + "} : (" + query + ")"
	}
	var s string
	err := x.db.QueryRowContext(ctx, `SELECT coalesce(group_concat(rowid), '') FROM search_fts WHERE search_fts MATCH ?`, m).Scan(&s)
	if err != nil {
		return fmt.Errorf("search: match: %w", err)
	}
	var n uint32
	digits := false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			n = n*10 + uint32(s[i]-'0')
			digits = true
			continue
		}
		if digits {
			fn(n)
		}
		n, digits = 0, false
	}
	return nil
}

// issnOf is an ISSN typed with or without its hyphen, as the index holds
// it for exact search (12345678), or "".
func issnOf(s string) string {
	t := strings.ReplaceAll(strings.ToUpper(s), "-", "")
	if len(t) != 8 {
		return ""
	}
	for i := 0; i < 8; i++ {
		if !(t[i] >= '0' && t[i] <= '9' || i == 7 && t[i] == 'X') {
			return ""
		}
	}
	return t
}
