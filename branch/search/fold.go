package search

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"stacks/branch/marc"
)

// fold lower-cases s, removes its diacritics ("Français" -> "francais")
// and reduces it to words separated by single spaces, as the index's
// tokenizer sees them: the form exact and prefix matches compare.
func fold(s string) string {
	out := s
	if !ascii(s) {
		t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
		var err error
		if out, _, err = transform.String(t, s); err != nil {
			out = s
		}
	}
	out = strings.ToLower(out)
	return strings.Join(strings.FieldsFunc(out, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// words are the folded words of s.
func words(s string) []string { return strings.Fields(fold(s)) }

// ftsQuery is an FTS5 query that every word of ws matches (each quoted, so
// no word is read as an operator), or "" for none.
func ftsQuery(ws []string) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(w, `"`, `""`))
		b.WriteByte('"')
	}
	return b.String()
}

// isbn13 normalises an ISBN-10 or -13 typed with or without hyphens to
// ISBN-13, or returns "".
func isbn13(s string) string {
	var d []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case (c == 'x' || c == 'X') && len(d) == 9:
			d = append(d, 'X')
		case c == '-' || c == ' ':
		default:
			return ""
		}
	}
	switch len(d) {
	case 13:
		if string(d[:3]) == "978" || string(d[:3]) == "979" {
			return string(d)
		}
	case 10:
		return marc.ISBN13(string(d))
	}
	return ""
}

// workKey groups editions and formats of one work: the folded title
// (sort form, without subtitle) and the folded first author.
func workKey(sortTitle, firstAuthor string) string {
	a := fold(firstAuthor)
	return fold(sortTitle) + "/" + a
}
