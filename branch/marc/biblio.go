package marc

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Biblio is the catalogue's summary of a bibliographic record.
type Biblio struct {
	Title         string   // 245 $a $n $p, for display (non-sort markers removed)
	SortTitle     string   // Title without its leading non-filing part (an article), for sorting
	Subtitle      string   // 245 $b
	Authors       []string // 100/110/111 $a, then 700/710/711 $a
	Subjects      []string // 600/650/651/655 $a -- $v $x $y $z
	ISBN          string   // 020 $a, normalised
	Language      string   // 008/35-37, else 041 $a (MARC language code)
	Format        string   // see Format
	Publisher     string   // 264 (ind2 1) $b, else 260 $b
	Year          int      // 008/07-10, else 264/260 $c; 0 if unknown
	CallNumber    string   // 050, 090, 082 or 092
	ControlNumber string   // 001
	Series        []string // 490 $a, 830 $a, 800/810/811 $t
	Notes         string   // 520 $a (summary), then 500 $a, one paragraph each
	Audience      string   // "juvenile", "young_adult", "adult" from 008/22, else 521; "" unknown
	ISSN          string   // 022 $a
	ISBNs         []string // every 020 $a and $z in ISBN-13 form, for exact search
}

// Biblio maps the record to the catalogue's summary. Missing data gives
// zero values; ISBD punctuation that ends a MARC subfield is removed.
//
// Non-filing text, such as a leading article, is marked in MARC either by
// the 245's second indicator (how many characters to skip when sorting)
// or by the non-sort markers NSB and NSE (U+0098 and U+009C, MARC-8 0x88
// and 0x89) around it. The markers are removed from every string of the
// Biblio, and SortTitle is Title without the marked or counted part.
func (r *Record) Biblio() Biblio {
	b := Biblio{
		Format:        r.Format(),
		ControlNumber: strings.TrimSpace(r.Control("001")),
		ISBN:          r.isbn(),
		Language:      r.language(),
		Publisher:     stripNonSort(r.publisher()),
		Year:          r.year(),
		CallNumber:    r.callNumber(),
		Series:        r.series(),
		Notes:         r.notes(),
		Audience:      r.audience(),
		ISSN:          r.issn(),
		ISBNs:         r.isbns(),
	}
	if f, ok := r.First("245"); ok {
		var parts []string
		for _, s := range f.Subfields {
			switch s.Code {
			case 'a', 'n', 'p':
				if p := trimSeparators(s.Value); p != "" {
					parts = append(parts, p)
				}
			}
		}
		title := trimPunct(strings.Join(parts, " "))
		b.Title, b.SortTitle = sortForms(title, f.Ind2)
		b.Subtitle = stripNonSort(trimPunct(f.Sub('b')))
	}
	for _, tags := range [][]string{{"100", "110", "111"}, {"700", "710", "711"}} {
		for _, f := range r.Fields {
			if in(f.Tag, tags) {
				b.Authors = appendUnique(b.Authors, stripNonSort(trimPunct(f.Sub('a'))))
			}
		}
	}
	for _, f := range r.Fields {
		if in(f.Tag, []string{"600", "650", "651", "655"}) {
			b.Subjects = appendUnique(b.Subjects, stripNonSort(subject(f)))
		}
	}
	return b
}

// Non-sort markers: MARC-8 0x88 and 0x89 decode to these C1 controls.
const (
	nonSortBegin = '\u0098'
	nonSortEnd   = '\u009c'
)

// stripNonSort removes the non-sort markers from s.
func stripNonSort(s string) string {
	if !strings.ContainsRune(s, nonSortBegin) && !strings.ContainsRune(s, nonSortEnd) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == nonSortBegin || r == nonSortEnd {
			return -1
		}
		return r
	}, s)
}

// sortForms returns the display form of a title and its sort form. Text
// between non-sort markers is left out of the sort form; without markers,
// a 245 second indicator of 1-9 skips that many characters, counted as
// MARC counts them (a diacritic is a character of its own) and only when
// what is skipped ends where a word does.
func sortForms(title string, ind2 byte) (display, sort string) {
	display = stripNonSort(title)
	if strings.ContainsRune(title, nonSortBegin) {
		var b strings.Builder
		skipping := false
		for _, r := range title {
			switch r {
			case nonSortBegin:
				skipping = true
			case nonSortEnd:
				skipping = false
			default:
				if !skipping {
					b.WriteRune(r)
				}
			}
		}
		if s := strings.TrimSpace(b.String()); s != "" {
			return display, s
		}
		return display, display
	}
	if ind2 < '1' || ind2 > '9' {
		return display, display
	}
	n := int(ind2 - '0')
	var prev rune
	for i, r := range display {
		if n <= 0 {
			if unicode.IsLetter(prev) || unicode.IsDigit(prev) {
				break // the count ends inside a word: a wrong indicator
			}
			if s := strings.TrimSpace(display[i:]); s != "" {
				return display, s
			}
			break
		}
		n -= len(appendDecomposed(nil, r))
		prev = r
	}
	return display, display
}

// subject joins a subject heading's main term and subdivisions.
func subject(f Field) string {
	var parts []string
	for _, s := range f.Subfields {
		switch s.Code {
		case 'a', 'v', 'x', 'y', 'z':
			if s.Code != 'a' && len(parts) == 0 {
				return "" // subdivisions without a heading
			}
			if p := trimPunct(s.Value); p != "" {
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, " -- ")
}

func in(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	if s == "" || in(s, list) {
		return list
	}
	return append(list, s)
}

// trimSeparators removes trailing ISBD separators that stand between
// subfields (" /", " :", " ;", " =") and white space, keeping full stops.
func trimSeparators(s string) string {
	for {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
		if s == "" || !strings.ContainsRune("/:;=", rune(s[len(s)-1])) {
			return s
		}
		s = s[:len(s)-1]
	}
}

// abbreviations keep their full stop at the end of a name.
var abbreviations = [...]string{"Inc", "Ltd", "Co", "Corp", "Bros", "Jr", "Sr", "etc", "Dept"}

// trimPunct removes trailing ISBD punctuation and white space: separators,
// commas and full stops, except the full stop after an initial ("L.") or a
// common abbreviation ("Inc.").
func trimPunct(s string) string {
	for {
		s = trimSeparators(s)
		if s == "" {
			return s
		}
		switch s[len(s)-1] {
		case ',':
			s = s[:len(s)-1]
			continue
		case '.':
			if endsWithInitial(s[:len(s)-1]) || endsWithAbbreviation(s[:len(s)-1]) || strings.HasSuffix(s, "...") {
				return s
			}
			s = s[:len(s)-1]
			continue
		}
		return s
	}
}

// endsWithInitial reports whether s ends in a single capital letter that
// stands alone as a word (as in "Robert L" or "A.S").
func endsWithInitial(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	if !unicode.IsUpper(r) {
		return false
	}
	rest := s[:len(s)-n]
	if rest == "" {
		return true
	}
	p, _ := utf8.DecodeLastRuneInString(rest)
	return unicode.IsSpace(p) || p == '.' || p == ',' || p == '-'
}

// endsWithAbbreviation reports whether s ends in a word from abbreviations.
func endsWithAbbreviation(s string) bool {
	for _, a := range abbreviations {
		if w, ok := strings.CutSuffix(s, a); ok {
			if r, _ := utf8.DecodeLastRuneInString(w); w == "" || !unicode.IsLetter(r) {
				return true
			}
		}
	}
	return false
}

// language returns 008/35-37 when it is a code, else the first 041 $a.
func (r *Record) language() string {
	for _, f := range r.Get("008") {
		if len(f.Value) >= 38 && isLetters(f.Value[35:38]) {
			return strings.ToLower(f.Value[35:38])
		}
	}
	for _, f := range r.Get("041") {
		if a := strings.TrimSpace(f.Sub('a')); len(a) >= 3 && isLetters(a[:3]) {
			return strings.ToLower(a[:3])
		}
	}
	return ""
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// publisher returns the publisher's name from 264 (publication) or 260.
func (r *Record) publisher() string {
	for _, f := range r.Fields {
		if f.Tag == "264" && f.Ind2 == '1' {
			if p := publisherName(f); p != "" {
				return p
			}
		}
	}
	for _, f := range r.Get("260") {
		if p := publisherName(f); p != "" {
			return p
		}
	}
	return ""
}

func publisherName(f Field) string {
	p := trimPunct(f.Sub('b'))
	switch strings.ToLower(p) {
	case "[publisher not identified]", "[s.n.]", "s.n.", "[s.n":
		return ""
	}
	return p
}

// year returns 008/07-10 when it is a year, else the first year in the
// publication date of 264 (publication, then any) or 260.
func (r *Record) year() int {
	for _, f := range r.Get("008") {
		if len(f.Value) >= 11 {
			if y := firstYear(f.Value[7:11]); y > 0 {
				return y
			}
		}
	}
	var pub264, any264, f260 []Field
	for _, f := range r.Fields {
		switch {
		case f.Tag == "264" && f.Ind2 == '1':
			pub264 = append(pub264, f)
		case f.Tag == "264":
			any264 = append(any264, f)
		case f.Tag == "260":
			f260 = append(f260, f)
		}
	}
	for _, fs := range [][]Field{pub264, f260, any264} {
		for _, f := range fs {
			for _, c := range f.SubAll('c') {
				if y := firstYear(c); y > 0 {
					return y
				}
			}
		}
	}
	return 0
}

// firstYear returns the first run of exactly four digits in s as a year
// (1000 or later), or 0.
func firstYear(s string) int {
	for i := 0; i+4 <= len(s); i++ {
		if i > 0 && isDigit(s[i-1]) {
			continue
		}
		if y, ok := atoi([]byte(s[i : i+4])); ok && (i+4 == len(s) || !isDigit(s[i+4])) && y >= 1000 {
			return y
		}
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// callNumber returns the LC call number (050, local 090) or else the
// Dewey number (082 without its segmentation marks, local 092).
func (r *Record) callNumber() string {
	join := func(f Field) string {
		return strings.TrimSpace(strings.Join(strings.Fields(f.Sub('a')+" "+f.Sub('b')), " "))
	}
	for _, tag := range []string{"050", "090"} {
		for _, f := range r.Get(tag) {
			if s := join(f); s != "" {
				return s
			}
		}
	}
	for _, f := range r.Get("082") {
		if s := strings.TrimSpace(strings.ReplaceAll(f.Sub('a'), "/", "")); s != "" {
			return s
		}
	}
	for _, f := range r.Get("092") {
		if s := join(f); s != "" {
			return s
		}
	}
	return ""
}
