package marc

import "sort"

// This file brings text to Unicode Normalization Form C without any
// module outside the standard library, over the tables in nfc_tables.go
// (Unicode Standard Annex #15: canonical decomposition, ordering and
// composition). It covers what library records hold, a base letter
// followed by combining marks, in any script. Its simplifications: only
// characters that are followed by a mark are decomposed, and only through
// primary composites; so singleton and excluded decompositions (such as
// U+0958 to U+0915 U+093C) and Hangul syllables are left as they are.
// Text it returns is always canonically equivalent to its input.

// cccRange gives the canonical combining class of code points Lo..Hi.
type cccRange struct {
	Lo, Hi rune
	Class  uint8
}

// replacement is a code point NFC never keeps and its full canonical
// decomposition.
type replacement struct {
	R rune
	D string
}

// replacedBy returns the decomposition of r if NFC never keeps r.
func replacedBy(r rune) (string, bool) {
	if r < nfcReplaced[0].R {
		return "", false
	}
	i := sort.Search(len(nfcReplaced), func(i int) bool { return nfcReplaced[i].R >= r })
	if i < len(nfcReplaced) && nfcReplaced[i].R == r {
		return nfcReplaced[i].D, true
	}
	return "", false
}

// Hangul syllable composition (Unicode 15.0, section 3.12).
const (
	hangulSBase, hangulLBase, hangulVBase, hangulTBase = 0xAC00, 0x1100, 0x1161, 0x11A7
	hangulLCount, hangulVCount, hangulTCount           = 19, 21, 28
	hangulSCount                                       = hangulLCount * hangulVCount * hangulTCount
)

// composeHangul composes a leading consonant and a vowel, or an LV
// syllable and a trailing consonant.
func composeHangul(a, b rune) (rune, bool) {
	if a >= hangulLBase && a < hangulLBase+hangulLCount && b >= hangulVBase && b < hangulVBase+hangulVCount {
		return hangulSBase + ((a-hangulLBase)*hangulVCount+(b-hangulVBase))*hangulTCount, true
	}
	if a >= hangulSBase && a < hangulSBase+hangulSCount && (a-hangulSBase)%hangulTCount == 0 &&
		b > hangulTBase && b < hangulTBase+hangulTCount {
		return a + (b - hangulTBase), true
	}
	return 0, false
}

// composition says that First followed by Second composes to Composite.
type composition struct {
	First, Second, Composite rune
}

// combiningClass returns the canonical combining class of r (0 for
// starters).
func combiningClass(r rune) uint8 {
	if r < 0x300 {
		return 0
	}
	i := sort.Search(len(cccRanges), func(i int) bool { return cccRanges[i].Hi >= r })
	if i < len(cccRanges) && cccRanges[i].Lo <= r {
		return cccRanges[i].Class
	}
	return 0
}

// compose returns the primary composite of a and b, if there is one.
func compose(a, b rune) (rune, bool) {
	i := sort.Search(len(compositions), func(i int) bool {
		c := compositions[i]
		return c.First > a || (c.First == a && c.Second >= b)
	})
	if i < len(compositions) && compositions[i].First == a && compositions[i].Second == b {
		return compositions[i].Composite, true
	}
	return 0, false
}

// decomposition returns the composition that produces r, if any.
func decomposition(r rune) (composition, bool) {
	i := sort.Search(len(decompositionOrder), func(i int) bool {
		return compositions[decompositionOrder[i]].Composite >= r
	})
	if i < len(decompositionOrder) && compositions[decompositionOrder[i]].Composite == r {
		return compositions[decompositionOrder[i]], true
	}
	return composition{}, false
}

// appendDecomposed appends the full canonical decomposition of r.
func appendDecomposed(dst []rune, r rune) []rune {
	if c, ok := decomposition(r); ok {
		return append(appendDecomposed(dst, c.First), c.Second)
	}
	return append(dst, r)
}

// needsNFC reports whether s may change under normalisation: whether it
// holds a combining mark or a character that composes with the one
// before it.
func needsNFC(s string) bool {
	for _, r := range s {
		if r >= 0x300 && mayChange(r) {
			return true
		}
	}
	return false
}

// mayChange reports whether NFC may change r or the character before it.
func mayChange(r rune) bool {
	if combiningClass(r) != 0 {
		return true
	}
	if r >= hangulVBase && r < hangulVBase+hangulVCount || r > hangulTBase && r < hangulTBase+hangulTCount {
		return true
	}
	if _, ok := replacedBy(r); ok {
		return true
	}
	for _, c := range composingStarters {
		if r == c {
			return true
		}
	}
	return false
}

// normalizeNFC returns s in NFC (with the simplifications above).
func normalizeNFC(s string) string {
	if !needsNFC(s) {
		return s
	}
	return string(composeNFC([]rune(s)))
}

// composeNFC normalises rs, reusing its storage when it can.
func composeNFC(rs []rune) []rune {
	// Replace what NFC never keeps by its decomposition.
	for i, r := range rs {
		if _, ok := replacedBy(r); ok {
			d := make([]rune, 0, len(rs)+8)
			d = append(d, rs[:i]...)
			for _, r := range rs[i:] {
				if dec, ok := replacedBy(r); ok {
					d = append(d, []rune(dec)...)
				} else {
					d = append(d, r)
				}
			}
			rs = d
			break
		}
	}
	// Decompose characters followed by a mark, so that the marks they
	// contain are ordered together with the ones that follow.
	for i := 0; i+1 < len(rs); i++ {
		if _, ok := decomposition(rs[i]); ok && combiningClass(rs[i+1]) != 0 {
			d := make([]rune, 0, len(rs)+8)
			for j, r := range rs {
				if j+1 < len(rs) && combiningClass(rs[j+1]) != 0 {
					d = appendDecomposed(d, r)
				} else {
					d = append(d, r)
				}
			}
			rs = d
			break
		}
	}
	// Canonical ordering: a stable sort of each run of non-starters by
	// combining class (runs are short, so insertion sort).
	for i := 1; i < len(rs); i++ {
		c := combiningClass(rs[i])
		if c == 0 {
			continue
		}
		for j := i; j > 0; j-- {
			p := combiningClass(rs[j-1])
			if p <= c {
				break
			}
			rs[j-1], rs[j] = rs[j], rs[j-1]
		}
	}
	// Canonical composition.
	out := rs[:0]
	starter := -1
	var last uint8 // class of the last character kept after the starter
	for _, r := range rs {
		c := combiningClass(r)
		if n := len(out); n > 0 && n-1 == starter {
			if h, ok := composeHangul(out[n-1], r); ok {
				out[n-1] = h
				continue
			}
		}
		if starter >= 0 {
			adjacent := len(out)-1 == starter
			if adjacent || (c != 0 && last < c) {
				if comp, ok := compose(out[starter], r); ok {
					out[starter] = comp
					continue
				}
			}
		}
		if c == 0 {
			starter = len(out)
		}
		last = c
		out = append(out, r)
	}
	return out
}
