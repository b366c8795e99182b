package branch

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestLWWOrdinalsFrozen pins the field ordinals of the stored clocks: a
// field may be appended to its table's list, never moved or removed (the
// stored masks of every database would then name other fields).
func TestLWWOrdinalsFrozen(t *testing.T) {
	frozen := map[string]string{ // table -> its fields at migration 100, by ordinal
		"libraries":      "address email hold_shelf_days institution_id name phone",
		"categories":     "description enrolment_months max_fine_cents max_holds",
		"item_types":     "description processing_cents replacement_cents",
		"patrons":        "address block_reason blocked cardnumber category date_of_birth email expiry_date firstname home_branch language phone pin_hash registered_at surname",
		"biblios":        "audience authors format isbn isbns issn language licences notes publisher series sort_title subjects subtitle title year",
		"items":          "barcode base_status biblio_id call_number home_branch item_type location price_cents properties seen_at transit_to",
		"rules":          "deleted fine_cents grace_days holds_allowed loan_days max_fine_cents max_loans renewals",
		"opening_hours":  "closes opens",
		"closed_days":    "closed reason",
		"staff":          "active branch_id charset display_name password_hash role",
		"registry_nodes": "branch_id name retired role",
	}
	if got := slices.Sorted(maps.Keys(lwwLayoutByTable)); !slices.Equal(got, slices.Sorted(maps.Keys(frozen))) {
		t.Fatalf("tables %v", got)
	}
	for table, want := range frozen {
		w := strings.Fields(want)
		got := lwwLayoutByTable[table].names
		if len(got) < len(w) || !slices.Equal(got[:len(w)], w) {
			t.Errorf("%s: ordinals %v, frozen %v (append new fields at the end)", table, got, w)
		}
	}
}

// TestClocksEncoding: an item row's clocks from the old format (the example
// of issue 21) take 19 bytes, decode to the same stamps, and the state
// hash sees them as the JSON text the old format stored.
func TestClocksEncoding(t *testing.T) {
	const st = "01a24235f45a000075df51f2ccd5e8f9"
	const later = "01a24235f45b000075df51f2ccd5e8f9"
	fields := []string{"barcode", "base_status", "biblio_id", "call_number", "home_branch", "item_type", "location", "price_cents", "properties"}
	m := map[string]string{}
	for _, f := range fields {
		m[f] = st
	}
	old, _ := json.Marshal(m)
	l := lwwLayoutByTable["items"]
	enc, err := convertClocks(l, old)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != 19 {
		t.Errorf("%d bytes (%x), want 19; the JSON had %d", len(enc), enc, len(old))
	}
	if back, err := DecodeClocks("items", enc); err != nil || !maps.Equal(back, m) {
		t.Fatalf("decoded %v, %v", back, err)
	}
	if v, err := clocksHashForm("items", enc); err != nil || v != string(old) {
		t.Fatalf("hash form %v, %v; want %s", v, err, old)
	}
	if v, _ := clocksHashForm("items", string(old)); v != string(old) {
		t.Fatalf("hash form of the old text %v", v)
	}
	// Two stamps: the group with more fields first; an unknown name kept.
	m["seen_at"], m["base_status"], m["gone"] = later, later, st
	old, _ = json.Marshal(m)
	enc, err = convertClocks(l, old)
	if err != nil {
		t.Fatal(err)
	}
	if enc[1] != 0b1_1111_1101&0x7f|0x80 {
		t.Errorf("first group mask %x", enc[1:3])
	}
	if js, err := ClocksJSON("items", enc); err != nil || js != string(old) {
		t.Fatalf("round trip %s, %v; want %s", js, err, old)
	}
	// Legacy text still decodes, a bad value fails clearly.
	if got, err := DecodeClocks("items", `{"barcode":"`+st+`"}`); err != nil || got["barcode"] != st {
		t.Fatalf("legacy: %v %v", got, err)
	}
	for _, bad := range [][]byte{{1, 0x01, 0xaa}, {1, 0x80}, {1, 0x80, 0x80, 0x01}} {
		if _, err := DecodeClocks("items", bad); err == nil {
			t.Errorf("%x decoded", bad)
		}
	}
	if _, err := DecodeClocks("loans", "{}"); err == nil {
		t.Error("loans has no clocks")
	}
}
