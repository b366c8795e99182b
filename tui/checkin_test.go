package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestCheckinHoldTrap: returning an overdue book raises a fine and traps
// it for a waiting hold (a slip pops up); another goes in transit to the
// pickup branch of its hold. Without a printer at the appliance, the slip
// says it is on screen only.
func TestCheckinHoldTrap(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.key(tea.KeyF2)
	d.waitFor("Item barcode:")
	d.scan("D0001")
	d.golden("checkin_hold_trap", d.waitFor("HOLD — put on the hold shelf", "For:    Bob Baker", "fine 2.25 (9 days late)",
		"(on screen only: no receipt printer here)."))
	d.key(tea.KeyEsc)
	d.scan("E0001")
	d.waitFor("TRANSIT — send to EAST", "Hold for:  Carol Cooper", "Pickup:    EAST", "Item:      E0001  Emma")
	// The next scan goes on while the slip is up, and replaces it.
	d.scan("B0001")
	d.golden("checkin_transit", d.waitFor(" 3  B0001", "HOLD SHELF for Bob Baker", "SEND TO EAST for a hold"))
}
