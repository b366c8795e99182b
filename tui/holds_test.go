package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
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
