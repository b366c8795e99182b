package tui_test

import (
	"context"
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
)

// TestFastScannerLosesNoScan sends 30 barcodes, each followed by Enter,
// back to back without waiting for any answer (as a scanner fires them
// while checkouts are in flight): every one is lent, in order.
func TestFastScannerLosesNoScan(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	ctx, svc := d.srv.Admin, d.srv.Service
	// Room for 30 more loans, and 30 copies.
	if err := svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "ADULT", ItemType: "*", LoanDays: 21, Renewals: 2,
		MaxLoans: 40, FineCents: 25, MaxFineCents: 500, HoldsAllowed: true}); err != nil {
		t.Fatal(err)
	}
	var barcodes []string
	for i := 1; i <= 30; i++ {
		bc := fmt.Sprintf("T%04d", i)
		if _, err := svc.AddItem(ctx, domain.NewItem{Barcode: bc, BiblioID: d.srv.Biblios["Emma"].BiblioID, ItemType: "BOOK"}); err != nil {
			t.Fatal(err)
		}
		barcodes = append(barcodes, bc)
	}
	// The card and the first items arrive before the patron is even
	// loaded; some in one read, some a rune at a time, one with its Enter
	// inside the read.
	for i, bc := range append([]string{"21000000000001"}, barcodes...) {
		switch i % 3 {
		case 0:
			d.scan(bc)
		case 1:
			d.typeText(bc)
			d.key(tea.KeyEnter)
		default:
			d.runes(bc + "\r")
		}
	}
	d.golden("checkout_30_scans", d.waitFor("30  T0030", "Loans 31"))
	loans, err := svc.PatronLoans(context.Background(), d.srv.Patrons["Alice"].PatronID, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, l := range loans {
		got[l.Barcode] = true
	}
	for _, bc := range barcodes {
		if !got[bc] {
			t.Errorf("%s was not lent", bc)
		}
	}
	if len(loans) != 31 {
		t.Errorf("Alice has %d loans, want 31", len(loans))
	}
}
