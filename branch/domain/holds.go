package domain

import (
	"strings"
	"unicode/utf8"
)

// HoldRequest places a hold for a patron on a title, or on one item.
type HoldRequest struct {
	PatronID     string    `json:"patron_id"`
	Cardnumber   string    `json:"cardnumber"`
	BiblioID     string    `json:"biblio_id"`
	ItemID       string    `json:"item_id"`
	PickupBranch string    `json:"pickup_library_id"`
	Override     *Override `json:"override,omitempty"`
	// NotNeededAfter is the last date the patron wants the title
	// (YYYY-MM-DD), or empty; after it trapping skips the hold.
	NotNeededAfter string `json:"not_needed_after,omitempty"`
}

// HoldShelf is what the hold shelf of a branch needs attention for.
type HoldShelf struct {
	Ready   []*Hold    `json:"ready"`
	ToClear []*Hold    `json:"to_clear"`
	ToPull  []PullItem `json:"to_pull"`
	// Incoming are the copies in transit to this branch (for its holds or
	// coming home): what the van should bring, by barcode.
	Incoming []*Item `json:"incoming"`
}

// PullItem is a copy on this branch's open shelves wanted for a hold.
type PullItem struct {
	Hold *Hold `json:"hold"`
	Item *Item `json:"item"`
}

// ShelfName is a patron as a hold shelf shows them: the surname and the
// first initial ("Baker, B."), enough for staff to find the item and the
// patron to recognise it, without the whole name on a public shelf. A
// patron with one name is shown by it.
func ShelfName(firstname, surname string) string {
	firstname, surname = strings.TrimSpace(firstname), strings.TrimSpace(surname)
	if firstname == "" || surname == "" {
		return firstname + surname
	}
	initial, _ := utf8.DecodeRuneInString(firstname)
	return surname + ", " + strings.ToUpper(string(initial)) + "."
}
