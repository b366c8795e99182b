package marc

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
)

// Match keys: what an import matches a record against the catalogue by,
// each prefixed by its rule (branch/domain's ImportMatch* names).
const (
	KeyISBN    = "isbn"   // 020 $a and $z, as ISBN-13
	KeySystem  = "035"    // 035 $a, system control numbers
	KeyControl = "001"    // 001 with 003
	KeyRecord  = "record" // a digest of the bibliographic fields
)

// MatchKeys are a record's match keys, each prefixed by its rule
// ("isbn:9780...", "035:(OCOLC)123", "001:DLC|12345"), without duplicates.
func MatchKeys(r *Record) []string {
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
				add(KeyISBN + ":" + n)
			}
		}
	}
	for _, f := range r.Get("035") {
		for _, a := range f.SubAll('a') {
			if n := SystemNumber(a); n != "" {
				add(KeySystem + ":" + n)
			}
		}
	}
	if c := strings.TrimSpace(r.Control("001")); c != "" {
		add(KeyControl + ":" + strings.ToUpper(strings.TrimSpace(r.Control("003"))) + "|" + c)
	}
	add(KeyRecord + ":" + digest(r))
	return out
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
func digest(r *Record) string {
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
