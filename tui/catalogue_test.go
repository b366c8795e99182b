package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// TestCatalogue: search, see copies per branch, place a hold for a patron.
func TestCatalogue(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.key(tea.KeyF5)
	d.scan("hobbit")
	d.waitFor("The Hobbit", "2 of 2 copies available", `1 title matches "hobbit".`)
	d.runes("h")
	d.waitFor("Place a hold: The Hobbit")
	d.typeText("21000000000002")
	d.key(tea.KeyEnter)
	d.golden("catalogue_hold", d.waitFor(`Hold placed on "The Hobbit" for card 21000000000002`, "1 hold(s) in queue"))
}

// TestCatalogueNoMatch: a search that finds nothing says what was searched.
func TestCatalogueNoMatch(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.key(tea.KeyF5)
	d.scan("zzyzx")
	d.waitFor(`No titles match "zzyzx".`)
}
