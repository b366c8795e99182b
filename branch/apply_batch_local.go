package branch

import (
	"encoding/json"
	"unicode/utf8"
)

// localWrite is what DecodeBatch would make of the payload of a field-set
// op of kind that a command encodes from p, computed from p's values
// without encoding and decoding them (OpBatch hands it to
// replicate.Tx.EmitBatchDecoded); nil when it cannot be sure of giving
// exactly that (a value of another type, text that is not valid UTF-8,
// which JSON would replace), so that the op is decoded from its payload as
// a peer decodes it. TestLocalWriteIsDecodeBatch holds the two equal.
func localWrite(kind string, p fieldsOp) any {
	lay, ok := lwwLayouts[kind]
	if !ok {
		return nil
	}
	w := &fieldWrite{keyVals: make([]any, len(lay.t.keys))}
	if len(p.Key) != len(lay.t.keys) {
		return nil
	}
	for i, k := range lay.t.keys {
		v, ok := p.Key[k]
		if !ok {
			return nil
		}
		if w.keyVals[i], ok = localValue(v); !ok {
			return nil
		}
	}
	w.fields, w.vals = make([]int, 0, len(p.Fields)), make([]any, 0, len(p.Fields))
	for name, v := range p.Fields {
		i, ok := lay.index[name]
		if !ok {
			return nil
		}
		sv, ok := localValue(v)
		if !ok {
			return nil
		}
		w.fields, w.vals = append(w.fields, i), append(w.vals, sv)
	}
	return w
}

// localValue is sqlValue of what JSON makes of v, for the types commands
// write; ok is false for any other.
func localValue(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return x, utf8.ValidString(x)
	case bool:
		if x {
			return int64(1), true
		}
		return int64(0), true
	case int:
		return int64(x), true
	case int64:
		return x, true
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok || !utf8.ValidString(s) {
				return nil, false
			}
		}
		b, err := json.Marshal(x)
		return string(b), err == nil
	}
	return nil, false
}
