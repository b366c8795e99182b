package web

import "testing"

// Fee lines read in the patron's language: what the branch writes is said
// again from the catalogue, a desk note that is a fee type becomes its
// name, and any other note stays as staff wrote it.
func TestFeeTexts(t *testing.T) {
	c, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	en, fi := printer{c: c, lang: "en"}, printer{c: c, lang: "fi"}
	for _, tc := range []struct{ kind, desc, en, fi string }{
		{"overdue", "Overdue: The Long Winter (3 days late)", "Overdue fine: The Long Winter, 3 days late", "Myöhästymismaksu: The Long Winter, 3 päivää myöhässä"},
		{"overdue", "Overdue: Talvi (1 days late)", "Overdue fine: Talvi, 1 day late", "Myöhästymismaksu: Talvi, 1 päivä myöhässä"},
		{"overdue", "Overdue at renewal: Snow (2 days late)", "Overdue fine: Snow, 2 days late at renewal", "Myöhästymismaksu: Snow, 2 päivää myöhässä uusittaessa"},
		{"lost", "Lost item: Snow", "Lost item: Snow", "Kadonnut aineisto: Snow"},
		{"processing", "Processing fee: Snow", "Processing fee: Snow", "Käsittelymaksu: Snow"},
		{"payment", "Payment", "Payment", "Maksu suoritettu"},
		{"payment", "Online payment", "Payment: paid online", "Maksu suoritettu: maksettu verkossa"},
		{"waiver", "Waived: hardship", "Waived: hardship", "Hyvitetty: hardship"},
		{"credit", "Item found: lost charge cancelled", "Credit: the item was found, the lost item charge is cancelled", "Hyvitys: aineisto löytyi, korvausmaksu peruttu"},
		{"manual", "damage", "Charge: Damage", "Maksu: Vahingoittunut aineisto"},
		{"manual", "Replacement card", "Charge: Replacement card", "Maksu: Uusi kortti"},
		{"damage", "Damage", "Damage", "Vahingoittunut aineisto"},
		{"card_replacement", "card replacement", "Replacement card", "Uusi kortti"},
		{"manual", "Torn cover, page 12", "Charge: Torn cover, page 12", "Maksu: Torn cover, page 12"},
		{"damage", "", "Damage", "Vahingoittunut aineisto"},
	} {
		if got := en.Fee(tc.kind, tc.desc); got != tc.en {
			t.Errorf("en %s %q: %q, want %q", tc.kind, tc.desc, got, tc.en)
		}
		if got := fi.Fee(tc.kind, tc.desc); got != tc.fi {
			t.Errorf("fi %s %q: %q, want %q", tc.kind, tc.desc, got, tc.fi)
		}
	}
}
