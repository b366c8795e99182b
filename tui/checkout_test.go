package tui_test

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestLogin(t *testing.T) {
	d := newDesk(t, "", deskOpts{})
	d.login("clerk", "wrong")
	d.golden("login_refused", d.waitFor("The username or password is wrong"))
	d.login("clerk", "clerk")
	d.golden("login_checkout", d.waitFor("standalone", "scan or type the patron's card"))
}

// TestCheckoutRefused: a clerk lends one item, is refused another in plain
// words, and may not override.
func TestCheckoutRefused(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.scan("21000000000001")
	d.waitFor("Alice Archer", "May borrow")
	d.scan("B0001")
	d.scan("R0001")
	d.waitFor("is for use in the library only", "a supervisor may override")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlO})
	d.golden("checkout_refused", d.waitFor("Your role (circulation) may not override refusals"))
}

// TestCheckoutOverride: a supervisor overrides a refusal with a reason,
// and the finished checkout shows its receipt.
func TestCheckoutOverride(t *testing.T) {
	d := newDesk(t, "super", deskOpts{})
	d.scan("21000000000001")
	d.waitFor("Alice Archer")
	d.scan("R0001")
	d.waitFor("^O to override")
	d.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlO})
	d.waitFor("Override refusal for R0001")
	d.key(tea.KeyEnter)
	d.waitFor("A reason is required.")
	d.typeText("exam week, back tomorrow")
	d.golden("checkout_override_prompt", d.screen())
	d.key(tea.KeyEnter)
	d.golden("checkout_overridden", d.waitFor("Overridden: R0001 lent.", "overridden (not_loanable"))

	loans, err := d.srv.Service.PatronLoans(context.Background(), d.srv.Patrons["Alice"].PatronID, false)
	if err != nil || len(loans) != 2 {
		t.Fatalf("Alice's loans: %d, %v", len(loans), err)
	}

	d.scan("B0001")
	d.waitFor("The Hobbit")
	d.key(tea.KeyEsc)
	d.golden("checkout_receipt", d.waitFor("Receipt", "2 item(s) lent today"))
	// The next patron's card, scanned over the receipt, is not lost.
	d.scan("21000000000002")
	d.waitFor("Bob Baker", "Item barcode")
	// Nor is a third patron's card scanned where an item is expected: it
	// ends Bob's session (with a receipt) and starts Carol's.
	d.scan("E0001")
	d.scan("21000000000003")
	d.waitFor("Carol Cooper", "Receipt", "Bob Baker  card 21000000000002", "E0001")
}

// TestCheckoutBlockedPatron shows a patron's block before any scan.
func TestCheckoutBlockedPatron(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.scan("21000000000004")
	d.waitFor("Dave Dodd", "Blocked:")
	d.scan("29999999999999")
	d.scan("21000000000099")
	d.key(tea.KeyEsc)
	d.scan("21000000000099")
	d.waitFor("Card 21000000000099: No patron has card number 21000000000099.")
}

// TestCheckoutParts: a copy in several parts says so at checkout and at
// checkin, so the clerk checks every part.
func TestCheckoutParts(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.scan("21000000000001")
	d.waitFor("Alice Archer", "May borrow")
	d.scan("B0002")
	d.waitFor("B0002", "check every part: book and 2 CDs")
	d.key(tea.KeyF2)
	d.waitFor("Item barcode:")
	d.scan("B0002")
	d.waitFor("from Alice Archer", "check every part: book and 2 CDs")
}
