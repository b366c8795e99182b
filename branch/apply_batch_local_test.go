package branch

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"stacks/branch/domain"
	"stacks/replicate"
)

// TestLocalWriteIsDecodeBatch: what a command hands the applier for the
// field writes it encodes (localWrite) is exactly what DecodeBatch makes
// of the encoded payload, as a peer decodes it; values it cannot be sure
// of are left to DecodeBatch.
func TestLocalWriteIsDecodeBatch(t *testing.T) {
	bibs := []domain.NewBiblio{
		{Title: "Plain"},
		{Title: `Quotes "and" \\ back\slashes <b>&amp;</b>`, Subtitle: "ünïcödé – ‘dashes’ \u2028 line sep", Authors: []string{"Ö, Ä", "<x>"},
			Subjects: []string{"A -- B", ""}, ISBN: "9780306406157", Language: "fin", Format: "ebook", Publisher: "P & Q", Year: 2024,
			Licences: 3, Series: []string{"S1", "S2"}, Notes: "N\tline\nnext", Audience: "juvenile", ISSN: "1234-5678",
			ISBNs: []string{"9780306406157", "9798000000001"}, SortTitle: "sort"},
		{Title: "Negative year", Year: -5, Authors: []string{}},
	}
	var cases []struct {
		kind string
		p    fieldsOp
	}
	add := func(kind string, p fieldsOp) {
		cases = append(cases, struct {
			kind string
			p    fieldsOp
		}{kind, p})
	}
	for _, nb := range bibs {
		add(KindBiblioSet, fieldsOp{Key: map[string]any{"biblio_id": "0190-b"}, Fields: biblioFields(&nb)})
	}
	for _, ni := range []domain.NewItem{
		{Barcode: "B1", BiblioID: "bib", HomeBranch: "MAIN", ItemType: "BOOK", CallNumber: "781.65 ÄÖ", PriceCents: 1999},
		{Barcode: "B2", BiblioID: "bib", HomeBranch: "EAST", ItemType: "DVD", Properties: `{"rfid":"x"}`, PriceCents: -1},
	} {
		add(KindItemSet, fieldsOp{Key: map[string]any{"item_id": "0190-i"}, Fields: newItemFields(ni)})
	}
	add(KindItemSet, fieldsOp{Key: map[string]any{"item_id": "i"}, Fields: map[string]any{"base_status": "missing", "biblio_id": "other"}})
	var a Applier
	for i, c := range cases {
		raw, err := json.Marshal(c.p)
		if err != nil {
			t.Fatal(err)
		}
		want := a.DecodeBatch([]replicate.Op{{Kind: c.kind, Payload: raw}})[0]
		got := localWrite(c.kind, c.p)
		if got == nil {
			t.Errorf("case %d: localWrite left a command's own write to DecodeBatch", i)
			continue
		}
		if !reflect.DeepEqual(sorted(got.(*fieldWrite)), sorted(want.(*fieldWrite))) {
			t.Errorf("case %d:\nlocal  %#v\ndecode %#v", i, sorted(got.(*fieldWrite)), sorted(want.(*fieldWrite)))
		}
	}
	// What it cannot be sure of, it leaves to DecodeBatch.
	for _, p := range []fieldsOp{
		{Key: map[string]any{"biblio_id": "b"}, Fields: map[string]any{"title": "bad \xff utf-8"}},
		{Key: map[string]any{"biblio_id": "b"}, Fields: map[string]any{"year": 1.5}},
		{Key: map[string]any{"biblio_id": "b"}, Fields: map[string]any{"authors": []string{"typed"}}},
		{Key: map[string]any{"biblio_id": "b"}, Fields: map[string]any{"no_such_field": "x"}},
		{Key: map[string]any{"item_id": "b"}, Fields: map[string]any{"title": "x"}},
	} {
		if got := localWrite(KindBiblioSet, p); got != nil {
			t.Errorf("localWrite(%v) = %#v, want nil", p, got)
		}
	}
	if localWrite(KindCheckout, fieldsOp{}) != nil {
		t.Error("localWrite of a kind that is not a field set")
	}
}

// sorted orders a write's fields by index (DecodeBatch keeps the
// payload's order, localWrite the map's).
func sorted(w *fieldWrite) *fieldWrite {
	idx := make([]int, len(w.fields))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return w.fields[idx[a]] < w.fields[idx[b]] })
	out := &fieldWrite{keyVals: w.keyVals}
	for _, i := range idx {
		out.fields, out.vals = append(out.fields, w.fields[i]), append(out.vals, w.vals[i])
	}
	return out
}
