package tui_test

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/node/client/clienttest"
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

// TestCatalogueAlsoBorrowed: once five patrons borrowed The Hobbit and
// Walden, the title's view lists Walden as also borrowed, with the count.
func TestCatalogueAlsoBorrowed(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	b, err := srv.Service.AddBiblio(srv.Admin, domain.NewBiblio{Title: "Walden", Authors: []string{"Thoreau, Henry David"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.AddItem(srv.Admin, domain.NewItem{Barcode: "W0001", BiblioID: b.BiblioID, ItemType: "BOOK"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		p, err := srv.Service.RegisterPatron(srv.Admin, domain.NewPatron{Cardnumber: fmt.Sprintf("2100000000800%d", i),
			Firstname: "Reader", Surname: fmt.Sprint(i), Category: "ADULT", PIN: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"B0001", "W0001"} {
			if _, err := srv.Service.Checkout(srv.Admin, domain.CheckoutRequest{PatronID: p.PatronID, Barcode: code}); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Service.Checkin(srv.Admin, domain.CheckinRequest{Barcode: code}); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := newDeskOn(t, srv, "clerk", deskOpts{})
	d.key(tea.KeyF5)
	d.scan("hobbit")
	d.waitFor("The Hobbit", "Also borrowed: Walden (5)")
}
