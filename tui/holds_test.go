package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/node/client/clienttest"
)

// TestHoldsShelf: ready holds with their patrons, an expired hold to
// clear, and an item to pull for a hold at another branch.
func TestHoldsShelf(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.key(tea.KeyF4)
	d.golden("holds_shelf", d.waitFor("Moby Dick", "Bob Baker (21000000000002)", "Alice Archer", "E0001"))
	d.runes("x")
	d.waitFor("0 hold(s) expired")
}

// TestHoldsIncoming: a copy sent home from EAST is listed as in transit
// here; scanning it in at Checkin receives it and it leaves the list.
func TestHoldsIncoming(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{server: clienttest.Options{Incoming: true}})
	d.key(tea.KeyF4)
	d.golden("holds_incoming", d.waitFor("In transit to here (1)", "B0001", "The Hobbit", "from EAST"))
	d.key(tea.KeyF2)
	d.waitFor("Item barcode:")
	d.scan("B0001")
	d.waitFor(" 1  B0001", "shelve")
	d.key(tea.KeyF4)
	d.waitFor("In transit to here (0)")
}
