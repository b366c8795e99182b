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

// TestCatalogueFacets: the format facet and "on shelf here" narrow a
// search, with the counts the facets promised.
func TestCatalogueFacets(t *testing.T) {
	d := newDesk(t, "clerk", deskOpts{})
	d.key(tea.KeyF5)
	d.scan("*")
	d.waitFor(`6 titles match "*".`, "[all]", "book 4", "dvd 1", "map 1", "on shelf at MAIN: 4")
	d.runes("f")
	d.waitFor(`4 titles match "*".`, "[book 4]", "Dune")
	d.runes("f")
	d.waitFor(`1 title matches "*".`, "[dvd 1]", "Alien")
	d.runes("f")
	d.waitFor(`1 title matches "*".`, "[map 1]", "World Atlas")
	d.runes("f")
	d.waitFor(`6 titles match "*".`, "[all]")
	d.runes("a")
	// Two titles have no copy on the shelf at MAIN (on loan): 4 are.
	d.golden("catalogue_facets", d.waitFor("[on shelf at MAIN: 4]", `4 titles match "*".`, "book 2"))
}
