package search

import (
	"cmp"
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

// filter is a query's filters in memory's terms.
type filter struct {
	sets     [8]map[uint32]bool // by facet index; nil: no filter
	branches [2]branchSet       // available_at, library_id
	q        domain.SearchQuery
	x        *Index
}

func (x *Index) filters(q domain.SearchQuery) *filter {
	f := &filter{q: q, x: x}
	ids := func(d *dict, vals []string) map[uint32]bool {
		if len(vals) == 0 {
			return nil
		}
		m := map[uint32]bool{}
		for _, v := range vals {
			if id, ok := d.lookup(v); ok {
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
			if id, ok := x.branches.lookup(v); ok && id < maxBranches {
				f.branches[i].set(int(id))
			}
		}
	}
	return f
}

// none reports whether the query has no filter (every title passes).
func (f *filter) none() bool {
	for _, s := range f.sets {
		if s != nil {
			return false
		}
	}
	return len(f.q.AvailableAt) == 0 && len(f.q.Libraries) == 0
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
	set(6, anyIn(6, f.x.authorsOf(d)))
	set(7, anyIn(7, f.x.subjectsOf(d)))
	return m
}

func (x *Index) facetValues(q domain.SearchQuery, counts *[8][]int32) map[string][]domain.FacetValue {
	name := func(fi int, v uint32) string {
		switch fi {
		case 0:
			return x.formats.val(v)
		case 1:
			return x.languages.val(v)
		case 2, 3:
			return x.branches.val(v)
		case 4:
			if a := x.audiences.val(v); a != "" {
				return a
			}
			return "unknown"
		case 5:
			return strconv.Itoa(int(v))
		case 6:
			return x.authors.val(v)
		default:
			return x.subjects.val(v)
		}
	}
	selected := [][]string{q.Formats, q.Languages, q.AvailableAt, q.Libraries, q.Audiences, nil, q.Authors, q.Subjects}
	for _, d := range q.Decades {
		selected[5] = append(selected[5], strconv.Itoa(d/10*10))
	}
	out := make(map[string][]domain.FacetValue, len(domain.FacetNames))
	// A facet's values in order: the selected ones, then by count and
	// value; MaxFacetValues of them, and every selected one. The unselected
	// are chosen with a bounded heap (an author facet can have tens of
	// thousands of values), not by sorting them all.
	order := func(a, b domain.FacetValue) int {
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
	}
	top := bestN[domain.FacetValue]{n: domain.MaxFacetValues, cmp: order}
	for fi, name0 := range domain.FacetNames {
		var sel []domain.FacetValue
		top.h = top.h[:0]
		for v, n := range counts[fi] {
			if n == 0 {
				continue
			}
			if len(top.h) == domain.MaxFacetValues && int(n) < top.h[0].Count && len(selected[fi]) == 0 {
				continue // cannot displace the worst kept
			}
			s := name(fi, uint32(v))
			if s == "" {
				continue // no language, no format
			}
			fv := domain.FacetValue{Value: s, Count: int(n), Selected: slices.Contains(selected[fi], s)}
			if fv.Selected {
				sel = append(sel, fv)
			} else {
				top.add(fv)
			}
		}
		vals := append(sel, top.h...)
		slices.SortFunc(vals, order)
		vals = vals[:min(len(vals), max(domain.MaxFacetValues, len(sel)))]
		if vals == nil {
			vals = []domain.FacetValue{}
		}
		out[name0] = vals
	}
	return out
}

// exactAuthor reports whether folded names author a, as "Surname, First"
// or "First Surname".
func (x *Index) exactAuthor(a uint32, folded string) bool {
	n := x.authNorm.get(a)
	if n == folded {
		return true
	}
	ws := strings.Fields(n)
	if len(ws) < 2 {
		return false
	}
	return strings.Join(append(ws[1:], ws[0]), " ") == folded
}
