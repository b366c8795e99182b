package search

import (
	"hash/maphash"
	"runtime/debug"
	"slices"
	"unsafe"
)

// The in-memory index holds a million titles in a few flat slices: strings
// in one byte slice each (strs), lists in one []uint32, dictionaries keyed
// by a 64-bit hash. None of it holds pointers, so the garbage collector
// never scans it, and there is no per-string or per-slice header: at
// 1,000,000 titles the index is ~200 MB where string and slice fields
// would take ~600 MB and a garbage collection's scan of them would take
// longer than a search.

// strs is an append-only list of strings kept in one byte slice.
type strs struct {
	offs []uint32 // value i is text[offs[i]:offs[i+1]]
	text []byte
}

func (s *strs) add(v string) uint32 {
	if len(s.offs) == 0 {
		s.offs = append(s.offs, 0)
	}
	s.text = append(s.text, v...)
	s.offs = append(s.offs, uint32(len(s.text)))
	return uint32(len(s.offs) - 2)
}

// get returns value i. It shares the bytes of text: they are never written
// again (append copies to a new array and leaves the old one to the
// strings that point into it).
func (s *strs) get(i uint32) string {
	a, b := s.offs[i], s.offs[i+1]
	if a == b {
		return ""
	}
	return unsafe.String(&s.text[a], int(b-a))
}

func (s *strs) len() int { return max(0, len(s.offs)-1) }

// hashSeed seeds the dictionaries' hashes (in memory only, never stored).
var hashSeed = maphash.MakeSeed()

// dict interns strings: an id for each distinct value, in order of first
// sight. Values are kept (vals) unless the dictionary is only asked for
// ids (works), where two values of the same 64-bit hash would share an id:
// at a million works the chance of that is ~3e-8.
type dict struct {
	ids   map[uint64]uint32
	vals  strs
	n     uint32
	bare  bool              // keep no values
	clash map[string]uint32 // values whose hash an earlier value has
}

func (d *dict) id(s string) uint32 {
	if id, ok := d.lookup(s); ok {
		return id
	}
	if d.ids == nil {
		d.ids = map[uint64]uint32{}
	}
	id := d.n
	d.n++
	if !d.bare {
		d.vals.add(s)
	}
	h := maphash.String(hashSeed, s)
	if _, taken := d.ids[h]; taken {
		if d.clash == nil {
			d.clash = map[string]uint32{}
		}
		d.clash[s] = id
	} else {
		d.ids[h] = id
	}
	return id
}

// lookup returns the id of s, if it has one.
func (d *dict) lookup(s string) (uint32, bool) {
	id, ok := d.ids[maphash.String(hashSeed, s)]
	if !ok || d.bare || d.vals.get(id) == s {
		return id, ok
	}
	id, ok = d.clash[s]
	return id, ok
}

// val is value id ("" in a bare dictionary).
func (d *dict) val(id uint32) string {
	if d.bare {
		return ""
	}
	return d.vals.get(id)
}

func (d *dict) len() int { return int(d.n) }

// text returns the index of v in x.titles: old's title or sort title when
// it is the same (a title re-derived for a loan or a copy keeps its words),
// else a new entry.
func (x *Index) text(old *doc, v string) uint32 {
	if old != nil {
		if x.titles.get(old.title) == v {
			return old.title
		}
		if x.titles.get(old.sortTitle) == v {
			return old.sortTitle
		}
	}
	if x.titles.len() == 0 {
		x.titles.add("") // index 0: no title yet (doc.title 0 is "not loaded")
	}
	return x.titles.add(v)
}

// list returns where ids start in x.lists: old's place when they are the
// same, else appended.
func (x *Index) list(old *doc, ids []uint32) uint32 {
	if old != nil && int(old.nAuthors)+int(old.nSubjects) == len(ids) {
		at := old.lists
		same := true
		for i, v := range ids {
			if x.lists[int(at)+i] != v {
				same = false
				break
			}
		}
		if same {
			return at
		}
	}
	at := uint32(len(x.lists))
	x.lists = append(x.lists, ids...)
	return at
}

// authorsOf and subjectsOf are d's author and subject ids.
func (x *Index) authorsOf(d *doc) []uint32 {
	return x.lists[d.lists : d.lists+uint32(d.nAuthors) : d.lists+uint32(d.nAuthors)]
}

func (x *Index) subjectsOf(d *doc) []uint32 {
	at := d.lists + uint32(d.nAuthors)
	return x.lists[at : at+uint32(d.nSubjects) : at+uint32(d.nSubjects)]
}

// titleOf and sortTitleOf are d's folded title and sort title.
func (x *Index) titleOf(d *doc) string     { return x.titles.get(d.title) }
func (x *Index) sortTitleOf(d *doc) string { return x.titles.get(d.sortTitle) }

// shrink gives back what the first load's growing left unused: the flat
// slices copied to their size (no string of theirs is out yet: nothing
// searches before the first load ends), then the memory freed returned to
// the system, so a node's resident size after Open is what the index
// holds.
func (x *Index) shrink() {
	for _, st := range []*strs{&x.titles, &x.authNorm, &x.formats.vals, &x.languages.vals, &x.audiences.vals,
		&x.branches.vals, &x.authors.vals, &x.subjects.vals} {
		st.offs = slices.Clone(st.offs)
		st.text = slices.Clone(st.text)
	}
	x.lists = slices.Clone(x.lists)
	debug.FreeOSMemory()
}
