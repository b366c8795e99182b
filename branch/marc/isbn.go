package marc

import "strings"

// ISBNs: one reading of the number in a 020 for everything that needs it
// (the title's ISBN in Biblio, the import's match keys).
//
// An ISBN is read from the start of the text: "ISBN" before it is dropped;
// digits with hyphens or single spaces between them, and an X (or x) as the
// tenth character, make the number; the first other character ends it, so
// qualifiers and prices ("(pbk.)", ": $12.00") do not matter. Ten
// characters make an ISBN-10, thirteen digits beginning 978 or 979 an
// ISBN-13; anything else (a 13-digit EAN of something that is not a book,
// 11 or 12 digits, an X elsewhere) is no ISBN.
//
// A wrong check digit does not make the number unreadable: 020 $z exists
// for cancelled and invalid ISBNs, and a record with a typo should still
// match itself on the next import. For matching (ISBN13) the check digit
// is recomputed from the other digits, so the ISBN-10 and ISBN-13 of one
// book are one key whichever of them carries the typo; Biblio prefers a
// 020 $a whose check digit is right.

// isbnDigits returns the ISBN at the start of s as written, without
// hyphens and spaces (10 or 13 characters, X upper-cased), or "".
func isbnDigits(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "ISBN") {
		s = strings.TrimLeft(s[4:], " :-")
	}
	var out []byte
	sepAfter10 := false // a separator right after the tenth character
scan:
	for i := 0; i < len(s) && len(out) <= 13; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			out = append(out, c)
		case (c == 'X' || c == 'x') && len(out) == 9:
			out = append(out, 'X')
		case (c == '-' || c == ' ') && len(out) > 0 && len(out) < 13 && i+1 < len(s) && (s[i+1] >= '0' && s[i+1] <= '9' || s[i+1] == 'X' || s[i+1] == 'x'):
			// a separator inside the number
			if len(out) == 10 {
				sepAfter10 = true
			}
		default:
			break scan
		}
		if len(out) == 10 && out[9] == 'X' {
			break
		}
	}
	switch {
	case len(out) == 10:
		return string(out)
	case len(out) == 13 && out[9] != 'X' && (string(out[:3]) == "978" || string(out[:3]) == "979"):
		return string(out)
	case len(out) > 10 && sepAfter10:
		// An ISBN-10 and, after a space, another number.
		return string(out[:10])
	}
	return ""
}

// normaliseISBN extracts the leading ISBN-10 or ISBN-13 from s, as
// written, or "".
func normaliseISBN(s string) string { return isbnDigits(s) }

// ISBN13 is the ISBN at the start of s (as a 020 $a or $z holds it) in its
// ISBN-13 form with the check digit recomputed, so that the ISBN-10 and
// ISBN-13 of one book are equal; "" if s holds no ISBN.
func ISBN13(s string) string {
	d := isbnDigits(s)
	var body string
	switch len(d) {
	case 10:
		body = "978" + d[:9]
	case 13:
		body = d[:12]
	default:
		return ""
	}
	sum := 0
	for i := 0; i < 12; i++ {
		v := int(body[i] - '0')
		if i%2 == 1 {
			v *= 3
		}
		sum += v
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

// ISBN10 is the ISBN-10 form of an ISBN-13 beginning 978, or "": an
// ISBN-13 beginning 979 has none.
func ISBN10(isbn13 string) string {
	if len(isbn13) != 13 || isbn13[:3] != "978" {
		return ""
	}
	b := isbn13[3:12]
	sum := 0
	for i := 0; i < 9; i++ {
		if b[i] < '0' || b[i] > '9' {
			return ""
		}
		sum += int(b[i]-'0') * (10 - i)
	}
	chk := (11 - sum%11) % 11
	if chk == 10 {
		return b + "X"
	}
	return b + string(rune('0'+chk))
}

// isbn returns the first 020 $a that looks like an ISBN (hyphens and
// qualifiers such as "(pbk.)" removed), preferring ones whose check
// digit is right; failing that, the first 020 $a as it stands.
func (r *Record) isbn() string {
	var shaped, raw string
	for _, f := range r.Get("020") {
		for _, a := range f.SubAll('a') {
			if raw == "" {
				raw = trimPunct(a)
			}
			n := normaliseISBN(a)
			if n == "" {
				continue
			}
			if isbnChecksumOK(n) {
				return n
			}
			if shaped == "" {
				shaped = n
			}
		}
	}
	if shaped != "" {
		return shaped
	}
	return raw
}

// isbnChecksumOK checks the check digit of a normalised ISBN.
func isbnChecksumOK(s string) bool {
	sum := 0
	if len(s) == 10 {
		for i := 0; i < 10; i++ {
			d := int(s[i] - '0')
			if s[i] == 'X' {
				d = 10
			}
			sum += d * (10 - i)
		}
		return sum%11 == 0
	}
	for i := 0; i < 13; i++ {
		d := int(s[i] - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return sum%10 == 0
}
