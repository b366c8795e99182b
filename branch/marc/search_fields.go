package marc

import (
	"strconv"
	"strings"
)

// The fields a catalogue's search needs beyond the summary's core.

// series returns the series statements (490 $a) and the series added
// entries (830 $a; 800, 810, 811 $t), once each, without ISBD punctuation.
func (r *Record) series() []string {
	var out []string
	add := func(s string) {
		if i := strings.Index(s, " ;"); i > 0 {
			s = s[:i] // a volume number written into $a ("Earthsea trilogy ; Bk. 3")
		}
		s = stripNonSort(trimPunct(trimSeparators(s)))
		for _, o := range out {
			if strings.EqualFold(o, s) {
				return
			}
		}
		if s != "" {
			out = append(out, s)
		}
	}
	for _, f := range r.Fields {
		switch f.Tag {
		case "490", "830":
			add(f.Sub('a'))
		case "800", "810", "811":
			add(f.Sub('t'))
		}
	}
	return out
}

// notes returns the summary (520 $a) and the general notes (500 $a), one
// paragraph each.
func (r *Record) notes() string {
	var parts []string
	for _, tag := range []string{"520", "500"} {
		for _, f := range r.Get(tag) {
			if s := strings.TrimSpace(stripNonSort(f.Sub('a'))); s != "" {
				parts = append(parts, s)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

// issn returns the first 022 $a, hyphenated as ISSNs are written.
func (r *Record) issn() string {
	for _, f := range r.Get("022") {
		var d []byte
		for _, c := range []byte(f.Sub('a')) {
			switch {
			case c >= '0' && c <= '9', c == 'X':
				d = append(d, c)
			case c == 'x':
				d = append(d, 'X')
			}
		}
		if len(d) == 8 {
			return string(d[:4]) + "-" + string(d[4:])
		}
	}
	return ""
}

// isbns returns every 020 $a and $z (cancelled or invalid ISBNs are still
// what a patron may type) in ISBN-13 form, once each.
func (r *Record) isbns() []string {
	var out []string
	for _, f := range r.Get("020") {
		for _, s := range f.Subfields {
			if s.Code != 'a' && s.Code != 'z' {
				continue
			}
			n := isbnTo13(normaliseISBN(s.Value))
			if n == "" {
				continue
			}
			dup := false
			for _, o := range out {
				dup = dup || o == n
			}
			if !dup {
				out = append(out, n)
			}
		}
	}
	return out
}

// isbnTo13 turns a normalised ISBN-10 into its ISBN-13; an ISBN-13 is
// returned as it is, anything else as "".
func isbnTo13(s string) string {
	switch len(s) {
	case 13:
		if s[:3] == "978" || s[:3] == "979" {
			return s
		}
	case 10:
		return ISBN13(s)
	}
	return ""
}

// audience returns who the work is for: from 008/22 (target audience) for
// the types of record whose 008 has it (books, computer files, music,
// visual materials), else from the 521 audience note.
func (r *Record) audience() string {
	switch r.leaderAt(6) {
	case 'a', 't', 'c', 'd', 'i', 'j', 'g', 'k', 'o', 'r', 'm':
		if f := r.Control("008"); len(f) > 22 {
			switch f[22] {
			case 'a', 'b', 'c', 'j':
				return "juvenile"
			case 'd':
				return "young_adult"
			case 'e', 'f', 'g':
				return "adult"
			}
		}
	}
	for _, f := range r.Get("521") {
		if a := audienceNote(f.Ind1, f.Sub('a')); a != "" {
			return a
		}
	}
	return ""
}

// audienceNote reads a 521: an interest age level (first indicator 1), a
// reading or interest grade (0, 2) or words ("juvenile", "young adult",
// "adult", "children", "teens").
func audienceNote(ind1 byte, text string) string {
	t := strings.ToLower(text)
	switch {
	case strings.Contains(t, "young adult") || strings.Contains(t, "teen") || strings.Contains(t, "adolescent"):
		return "young_adult"
	case strings.Contains(t, "juvenile") || strings.Contains(t, "child") || strings.Contains(t, "preschool"):
		return "juvenile"
	case strings.Contains(t, "adult"):
		return "adult"
	}
	n, ok := highestNumber(t)
	if !ok {
		return ""
	}
	switch ind1 {
	case '1': // ages
		switch {
		case n < 12:
			return "juvenile"
		case n < 18:
			return "young_adult"
		}
		return "adult"
	case '0', '2': // school grades
		switch {
		case n <= 6:
			return "juvenile"
		case n <= 12:
			return "young_adult"
		}
	}
	return ""
}

// highestNumber is the largest whole number written in s.
func highestNumber(s string) (int, bool) {
	best, found := 0, false
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		if n, err := strconv.Atoi(w); err == nil && n < 200 {
			found = true
			best = max(best, n)
		}
	}
	return best, found
}
