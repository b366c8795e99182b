// Package receipttest has one sample of every printout, in English and in
// Finnish, for golden tests of the bytes and of their rendering.
package receipttest

import (
	"testing"
	"time"

	"stacks/hardware/escpos"
	"stacks/hardware/escpos/receipt"
)

// Sample is one printout made from fixed values.
type Sample struct {
	Name string
	Make func(*receipt.Printouts) ([]byte, error)
	// Want are strings the rendering must show.
	Want []string
	// Barcode and QR are what the barcode and QR code carry, if any.
	Barcode, QR string
}

// Samples are every printout in both languages.
func Samples() []Sample {
	loc := time.FixedZone("EET", 2*3600)
	now := time.Date(2026, 12, 4, 14, 30, 0, 0, loc)
	due := time.Date(2026, 12, 25, 0, 0, 0, 0, loc)
	var out []Sample
	for _, lang := range []string{"en", "fi"} {
		h := receipt.Header{Library: "Stacks Library", Branch: "Kallio Branch", Lang: lang, Printed: now}
		dueText := map[string]string{"en": "Dec 25, 2026", "fi": "25.12.2026"}[lang]
		out = append(out,
			Sample{Name: "checkout-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.Checkout(receipt.Checkout{Header: h, Patron: "J.S. *0042", Loans: []receipt.Loan{
					{Title: "Seitsemän veljestä", Barcode: "39000000000017", Due: due},
					{Title: "The Lord of the Rings: The Fellowship of the Ring (extended edition)", Barcode: "39000000000025", Due: due, Parts: "4 discs, booklet"},
				}})
			}, Want: []string{"Seitsemän veljestä", "39000000000017", dueText, "4 discs, booklet", "J.S. *0042"}},
			Sample{Name: "checkin-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.Checkin(receipt.Checkin{Header: h, Currency: "EUR", Items: []receipt.Returned{
					{Title: "Täällä Pohjantähden alla", Barcode: "39000000000033", FineCents: 150},
				}})
			}, Want: []string{"Täällä Pohjantähden alla", "39000000000033", map[string]string{"en": "€1.50", "fi": "1,50 €"}[lang]}},
			Sample{Name: "payment-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.Payment(receipt.Payment{Header: h, Patron: "*0042", AmountCents: 1250, BalanceCents: 0, Currency: "EUR", Method: "card"})
			}, Want: []string{map[string]string{"en": "€12.50", "fi": "12,50 €"}[lang], "*0042"}},
			Sample{Name: "holdslip-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.HoldSlip(receipt.HoldSlip{Header: h, Patron: "A.V. *1234", Title: "Kalevala", Barcode: "39000000000041",
					CallNumber: "FIN 894.541", PickupBranch: "Kallio Branch", PickupBy: due})
			}, Want: []string{"A . V .   * 1 2 3 4", "Kalevala", dueText, "Kallio Branch"}},
			Sample{Name: "transit-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.TransitSlip(receipt.TransitSlip{Header: h, Title: "Kalevala", Barcode: "39000000000041", To: "Töölö", From: "Kallio", Hold: true})
			}, Want: []string{"T ö ö l ö", "Kalevala", "39000000000041"}},
			Sample{Name: "welcome-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.Welcome(receipt.Welcome{Header: h, Name: "Åsa Öberg", Card: "29000000001234"})
			}, Want: []string{"Åsa Öberg", "29000000001234"}, Barcode: "29000000001234"},
			Sample{Name: "ticket-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.Ticket(receipt.Ticket{Header: h, Event: "Satutunti", Where: "Lastenosasto", When: now.Add(48 * time.Hour),
					Seats: 2, Code: "EV-7QK2", QR: "https://library.example/e/EV-7QK2"})
			}, Want: []string{"Satutunti", "EV-7QK2", "[QR: https://library.example/e/EV-7QK2]"}, QR: "https://library.example/e/EV-7QK2"},
			Sample{Name: "handoff-" + lang, Make: func(p *receipt.Printouts) ([]byte, error) {
				return p.Handoff(receipt.Handoff{Header: h, Code: "H-4F7K9Q", QR: "https://library.example/h/H-4F7K9Q", Expires: now.Add(10 * time.Minute)})
			}, Want: []string{"H - 4 F 7 K 9 Q", "14:40"}, QR: "https://library.example/h/H-4F7K9Q"},
		)
	}
	return out
}

// MustPrintouts returns the printouts in PC858.
func MustPrintouts(tb testing.TB) *receipt.Printouts {
	tb.Helper()
	p, err := receipt.New(escpos.PC858)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}
