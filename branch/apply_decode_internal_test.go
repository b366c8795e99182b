package branch

import (
	"reflect"
	"testing"
)

// FuzzDecodeFields: whenever the fast decoder accepts a payload, the full
// decoder accepts it too and gives the same fieldsOp.
func FuzzDecodeFields(f *testing.F) {
	for _, s := range []string{
		`{"key":{"item_id":"01a207d9-2100-7256-a6c9-adb82d82dfab"},"fields":{"barcode":"BENCH00000063","base_status":"available","price_cents":0,"transit_to":""}}`,
		`{"key":{"branch_id":"MAIN","weekday":1},"fields":{"opens":"09:00","closes":"18:00"}}`,
		`{"key":{"patron_id":"p"},"fields":{"blocked":true,"block_reason":"check address","email":null},"reason":"why"}`,
		`{"key":{"biblio_id":"b"},"fields":{"authors":["A"],"year":1999.5,"title":"Ünïcödé \u00e9"}}`,
		` { "key" : { "k" : -0.5e+3 } , "fields" : { } } trailing`,
		`{"Key":{"k":1}}`, `{"key":{"k":01}}`, `{"key":{"k":1.}}`, `{"key":{"k":"a\"b"}}`, `{"key":null}`, `[]`, `{`, ``,
		"{\"key\":{\"k\":\"\xff\"}}", `{"key":{"k":1},"key":{"j":2}}`, `{"fields":{"a":1,"a":2}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var full fieldsOp
		fullErr := decode(b, &full)
		var fast fieldsOp
		if fastFields(b, &fast) == nil {
			if fullErr != nil {
				t.Fatalf("fast decoder accepted %q, full decoder refused it: %v", b, fullErr)
			}
			if !reflect.DeepEqual(fast, full) {
				t.Fatalf("%q: fast %#v, full %#v", b, fast, full)
			}
		}
		keys, fields, err := fastFieldPairs(b)
		if err != nil {
			return
		}
		if fullErr != nil {
			t.Fatalf("pair decoder accepted %q, full decoder refused it: %v", b, fullErr)
		}
		for _, c := range []struct {
			pairs []kv
			m     map[string]any
		}{{keys, full.Key}, {fields, full.Fields}} {
			got := map[string]any{}
			for _, p := range c.pairs {
				if _, dup := got[p.k]; dup {
					t.Fatalf("%q: pair %s twice", b, p.k)
				}
				got[p.k] = p.v
			}
			if len(got) != len(c.m) || (len(got) > 0 && !reflect.DeepEqual(got, c.m)) {
				t.Fatalf("%q: pairs %v, full %v", b, got, c.m)
			}
		}
	})
}

// TestFastFieldsCommon: the payloads commands emit take the fast path.
func TestFastFieldsCommon(t *testing.T) {
	for _, s := range []string{
		`{"key":{"item_id":"01a207d9-2100-7256-a6c9-adb82d82dfab"},"fields":{"barcode":"BENCH00000063","price_cents":0,"transit_to":""}}`,
		`{"key":{"patron_id":"p"},"fields":{"blocked":true,"surname":"Brontë"},"reason":"why"}`,
	} {
		var p fieldsOp
		if err := fastFields([]byte(s), &p); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}
