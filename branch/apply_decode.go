package branch

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// Decoding payloads is a large share of applying a batch: encoding/json
// with UseNumber into maps allocates heavily. fastFields decodes the common
// shape of a fieldsOp, {"key":{...},"fields":{...},"reason":"..."} with
// scalar values, to exactly what decode gives; anything else (nested values,
// escapes, other keys, odd whitespace) makes it give up, and decode does
// the work. FuzzDecodeFields checks the two agree.

// errSlow means the fast decoder gave up; it never escapes this file.
var errSlow = errors.New("branch: payload needs the full decoder")

// decodeFields decodes a fieldsOp payload.
func decodeFields(b []byte, p *fieldsOp) error {
	var q fieldsOp
	if err := fastFields(b, &q); err == nil {
		*p = q
		return nil
	}
	return decode(b, p)
}

type scan struct {
	b []byte
	i int
}

func (s *scan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scan) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string with no escapes and no control characters, valid
// UTF-8 (what encoding/json returns unchanged).
func (s *scan) str() (string, error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", errSlow
	}
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			v := s.b[start:j]
			if !ascii && !utf8.Valid(v) {
				return "", errSlow
			}
			s.i = j + 1
			return string(v), nil
		case c == '\\' || c < 0x20:
			return "", errSlow
		case c >= 0x80:
			ascii = false
		}
	}
	return "", errSlow
}

// number reads a JSON number literal, checked as encoding/json checks it.
func (s *scan) number() (json.Number, error) {
	b, i := s.b, s.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return "", errSlow
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", errSlow
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return "", errSlow
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return json.Number(b[start:i]), nil
}

func (s *scan) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// value reads a scalar: string, number, true, false or null.
func (s *scan) value() (any, error) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, errSlow
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case s.literal("true"):
		return true, nil
	case s.literal("false"):
		return false, nil
	case s.literal("null"):
		return nil, nil
	}
	return nil, errSlow
}

// object reads an object of scalars into a new map.
func (s *scan) object() (map[string]any, error) {
	if !s.eat('{') {
		return nil, errSlow
	}
	m := make(map[string]any, 12)
	if s.eat('}') {
		return m, nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return nil, err
		}
		if !s.eat(':') {
			return nil, errSlow
		}
		v, err := s.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			return m, nil
		}
		return nil, errSlow
	}
}

func fastFields(b []byte, p *fieldsOp) error {
	s := &scan{b: b}
	if !s.eat('{') {
		return errSlow
	}
	var seenKey, seenFields, seenReason bool
	if s.eat('}') {
		return nil
	}
	for {
		k, err := s.str()
		if err != nil {
			return err
		}
		if !s.eat(':') {
			return errSlow
		}
		switch {
		case k == "key" && !seenKey:
			seenKey = true
			if p.Key, err = s.object(); err != nil {
				return err
			}
		case k == "fields" && !seenFields:
			seenFields = true
			if p.Fields, err = s.object(); err != nil {
				return err
			}
		case k == "reason" && !seenReason:
			seenReason = true
			if p.Reason, err = s.str(); err != nil {
				return err
			}
		default:
			return errSlow
		}
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			return nil
		}
		return errSlow
	}
}
