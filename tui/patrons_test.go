package tui_test

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/digital"
	"stacks/branch/domain"
)

// TestPatrons: find a patron, see the fees, take a payment, block with a
// reason (a supervisor's), renew a loan, register a new patron.
func TestPatrons(t *testing.T) {
	d := newDesk(t, "super", deskOpts{})
	d.key(tea.KeyF3)
	d.scan("example.org")
	d.golden("patrons_search", d.waitFor("Archer, Alice", "Baker, Bob"))
	d.key(tea.KeyDown)
	d.key(tea.KeyEnter)
	d.waitFor("Bob Baker", "Loans (0)", "Holds (2)")
	d.key(tea.KeyTab)
	d.key(tea.KeyTab)
	d.golden("patrons_fees", d.waitFor("Fees (owes 3.00)", "Damaged cover"))

	d.runes("p")
	d.waitFor("Take a payment from Bob Baker")
	d.key(tea.KeyEnter)
	d.waitFor("Payment of 3.00 taken.", "Fees (owes 0.00)")

	d.runes("b")
	d.waitFor("Block Bob Baker")
	d.typeText("card reported stolen")
	d.key(tea.KeyEnter)
	d.waitFor("BLOCKED: card reported stolen")
	d.runes("b")
	d.waitFor("Block lifted.", "May borrow")

	// Alice, found by card, has Dune (wanted by Bob) and The Hobbit.
	_, err := d.srv.Service.Checkout(d.srv.Admin, domain.CheckoutRequest{PatronID: d.srv.Patrons["Alice"].PatronID, Barcode: "B0001"})
	if err != nil {
		t.Fatal(err)
	}
	d.key(tea.KeyEsc)
	d.key(tea.KeyEsc)
	d.scan("21000000000001")
	d.waitFor("Alice Archer", "Loans (2)", "D0001", "B0001")
	d.runes("r")
	d.waitFor(`"Dune" cannot be renewed: another patron is waiting for it.`)
	d.key(tea.KeyDown)
	d.runes("r")
	d.golden("patrons_renewed", d.waitFor(`Renewed "The Hobbit": now due 2025-04-14.`, "ren 1"))

	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlN})
	d.waitFor("Register a new patron")
	d.key(tea.KeyTab)
	d.typeText("Fay")
	d.key(tea.KeyTab)
	d.typeText("Fox")
	d.key(tea.KeyTab)
	d.typeText("fay@example.org")
	for range 6 {
		d.key(tea.KeyTab)
	}
	d.typeText("4321")
	d.golden("patrons_register", d.screen())
	d.key(tea.KeyEnter)
	d.waitFor("Registered Fay Fox, card", "Fay Fox")
	ps, err := d.srv.Service.SearchPatrons(context.Background(), "fay@example.org", 5)
	if err != nil || len(ps) != 1 || ps[0].HomeBranch != "MAIN" {
		t.Fatalf("registered: %+v %v", ps, err)
	}
}

// TestPatronDigitalLoan: an e-book loan shows among the patron's loans,
// marked digital, and renews through digital lending.
func TestPatronDigitalLoan(t *testing.T) {
	d := newDesk(t, "super", deskOpts{})
	b, err := d.srv.Service.AddBiblio(d.srv.Admin, domain.NewBiblio{Title: "E-Dune", Format: "ebook", Licences: 1})
	if err != nil {
		t.Fatal(err)
	}
	dig := digital.NewService(d.srv.Service, nil, nil)
	if _, err := dig.Borrow(d.srv.Admin, domain.DigitalRequest{PatronID: d.srv.Patrons["Alice"].PatronID, BiblioID: b.BiblioID}, "en"); err != nil {
		t.Fatal(err)
	}
	d.key(tea.KeyF3)
	d.scan("21000000000001")
	d.waitFor("Alice Archer", "(digital)", "E-Dune")
	for range 2 { // the e-book is the last loan
		d.key(tea.KeyDown)
	}
	d.runes("r")
	d.waitFor(`Renewed "E-Dune": now due`, "ren 1")
}
