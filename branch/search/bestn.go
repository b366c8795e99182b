package search

// bestN keeps the n best values added, by cmp (the lower the better): a
// max-heap by cmp, so its root h[0] is the worst kept and a value no
// better than it is dropped at once. Used to choose a page of works and a
// facet's values without sorting every candidate.
type bestN[T any] struct {
	h   []T
	n   int
	cmp func(a, b T) int
}

// add offers v: kept if fewer than n are kept or it beats the worst kept.
func (b *bestN[T]) add(v T) {
	switch {
	case len(b.h) < b.n:
		b.h = append(b.h, v)
		for i := len(b.h) - 1; i > 0; {
			p := (i - 1) / 2
			if b.cmp(b.h[i], b.h[p]) <= 0 {
				return
			}
			b.h[i], b.h[p] = b.h[p], b.h[i]
			i = p
		}
	case b.n > 0 && b.cmp(v, b.h[0]) < 0:
		b.h[0] = v
		for i := 0; ; {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(b.h) && b.cmp(b.h[l], b.h[m]) > 0 {
				m = l
			}
			if r < len(b.h) && b.cmp(b.h[r], b.h[m]) > 0 {
				m = r
			}
			if m == i {
				return
			}
			b.h[i], b.h[m] = b.h[m], b.h[i]
			i = m
		}
	}
}
