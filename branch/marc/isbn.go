package marc

import "strings"

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

// normaliseISBN extracts the leading ISBN-10 or ISBN-13 from s, or "".
func normaliseISBN(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "ISBN") {
		s = strings.TrimLeft(s[4:], " :-")
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			out = append(out, c)
		case c == 'X' || c == 'x':
			out = append(out, 'X')
		case c == '-' || c == ' ' && len(out) < 10 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			// hyphen, or a space inside a spaced-out ISBN
		default:
			i = len(s)
		}
	}
	switch len(out) {
	case 10:
		if strings.IndexByte(string(out[:9]), 'X') < 0 {
			return string(out)
		}
	case 13:
		if strings.IndexByte(string(out), 'X') < 0 {
			return string(out)
		}
	}
	return ""
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
