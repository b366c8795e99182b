package imports

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"stacks/branch/domain"
	"stacks/branch/marc"
)

// Keys are a record's match keys, each prefixed by its rule
// ("isbn:9780...", "035:(OCOLC)123", "001:DLC|12345"), without duplicates.
func Keys(r *marc.Record) []string {
	var out []string
	add := func(k string) {
		for _, o := range out {
			if o == k {
				return
			}
		}
		out = append(out, k)
	}
	for _, f := range r.Get("020") {
		for _, s := range f.Subfields {
			if s.Code != 'a' && s.Code != 'z' {
				continue
			}
			if n := ISBN13(s.Value); n != "" {
				add(domain.ImportMatchISBN + ":" + n)
			}
		}
	}
	for _, f := range r.Get("035") {
		for _, a := range f.SubAll('a') {
			if n := SystemNumber(a); n != "" {
				add(domain.ImportMatchSystem + ":" + n)
			}
		}
	}
	if c := strings.TrimSpace(r.Control("001")); c != "" {
		add(domain.ImportMatchControl + ":" + strings.ToUpper(strings.TrimSpace(r.Control("003"))) + "|" + c)
	}
	add(domain.ImportMatchRecord + ":" + digest(r))
	return out
}

// rule is the rule part of a key.
func rule(key string) string {
	r, _, _ := strings.Cut(key, ":")
	return r
}

// ISBN13 normalises an ISBN as it is written in a 020 (hyphens, spaces,
// "ISBN" and qualifiers such as "(pbk.)" or ": $12.00" around it) to its
// ISBN-13 form, so that the ISBN-10 and ISBN-13 of one book are equal. It
// returns "" for text that holds no ISBN-shaped number.
func ISBN13(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 4 && strings.EqualFold(s[:4], "ISBN") {
		s = strings.TrimLeft(s[4:], " :-")
	}
	var d []byte
	for i := 0; i < len(s) && len(d) < 13; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case (c == 'X' || c == 'x') && len(d) == 9:
			d = append(d, 'X')
		case c == '-' || c == ' ':
		default:
			i = len(s)
		}
		if len(d) == 10 && d[9] == 'X' {
			break
		}
	}
	switch {
	case len(d) == 13 && (string(d[:3]) == "978" || string(d[:3]) == "979"):
		return string(d)
	case len(d) >= 10 && len(d) < 13 || len(d) == 13:
		// An ISBN-10 (the digits after it, if any, are a price or a
		// second number run together).
		d = d[:10]
		if strings.IndexByte(string(d[:9]), 'X') >= 0 {
			return ""
		}
		b := append([]byte("978"), d[:9]...)
		sum := 0
		for i, c := range b {
			v := int(c - '0')
			if i%2 == 1 {
				v *= 3
			}
			sum += v
		}
		return string(append(b, byte('0'+(10-sum%10)%10)))
	}
	return ""
}

// ISBN10 is the ISBN-10 form of an ISBN-13 beginning 978, or "".
func ISBN10(isbn13 string) string {
	if len(isbn13) != 13 || isbn13[:3] != "978" {
		return ""
	}
	b := []byte(isbn13[3:12])
	sum := 0
	for i, c := range b {
		sum += int(c-'0') * (10 - i)
	}
	chk := (11 - sum%11) % 11
	if chk == 10 {
		return string(b) + "X"
	}
	return string(b) + string(rune('0'+chk))
}

// SystemNumber normalises a 035 $a: white space removed, the prefix in
// parentheses upper-cased, and for OCLC numbers the "ocm"/"ocn"/"on"
// prefixes and leading zeros dropped, so "(OCoLC)ocm00012345" and
// "(OCoLC)12345" are one number.
func SystemNumber(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return ""
	}
	prefix, num := "", s
	if strings.HasPrefix(s, "(") {
		if i := strings.IndexByte(s, ')'); i > 0 {
			prefix, num = strings.ToUpper(s[:i+1]), s[i+1:]
		}
	}
	if prefix == "(OCOLC)" {
		for _, p := range []string{"ocm", "ocn", "on"} {
			if strings.HasPrefix(num, p) {
				num = num[len(p):]
				break
			}
		}
		num = strings.TrimLeft(num, "0")
	}
	if num == "" {
		return ""
	}
	return prefix + num
}

// digest hashes a record's fields, leaving out those that change from one
// export of the same record to the next: 005 (the time of the latest
// change) and the holdings (852, 952).
func digest(r *marc.Record) string {
	h := sha256.New()
	for _, f := range r.Fields {
		switch f.Tag {
		case "005", "852", "952":
			continue
		}
		h.Write([]byte(f.Tag))
		if f.IsControl() {
			h.Write([]byte{0x1e})
			h.Write([]byte(f.Value))
		} else {
			h.Write([]byte{f.Ind1, f.Ind2})
			for _, s := range f.Subfields {
				h.Write([]byte{0x1f, s.Code})
				h.Write([]byte(s.Value))
			}
		}
		h.Write([]byte{0x1e})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
