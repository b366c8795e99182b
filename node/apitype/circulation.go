package apitype

import (
	"stacks/branch/domain"
)

// Checkout is the flat checkout object other tools rely on (POST
// /api/v1/checkouts): the loan's own fields (checkout_id, due_date,
// item_id, patron_id, barcode, title...) plus what the command did.
type Checkout struct {
	*domain.Loan
	Cardnumber string   `json:"cardnumber,omitempty"`
	Overridden []string `json:"overridden,omitempty"`
	HoldFilled string   `json:"hold_filled,omitempty"`
	// ItemProperties is what the copy is made of ("DVD 2 discs,
	// booklet"): the desk checks every part before it goes.
	ItemProperties string `json:"item_properties,omitempty"`
}

// Renewal is a renewed loan, flat, with the fine charged at renewal.
type Renewal struct {
	*domain.Loan
	FineCents  int64    `json:"fine_cents"`
	Overridden []string `json:"overridden,omitempty"`
}

// RenewRequest is the optional body of POST /api/v1/checkouts/{id}/renewal.
type RenewRequest struct {
	Override *domain.Override `json:"override,omitempty"`
}
