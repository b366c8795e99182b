package domain

// Override asks to proceed despite rule refusals. Only supervisors and
// admins may; the reason is required and logged with the op.
type Override struct {
	Reason string `json:"reason"`
}

// CheckoutRequest names a patron (id or card) and an item (id or barcode).
type CheckoutRequest struct {
	PatronID   string    `json:"patron_id"`
	Cardnumber string    `json:"cardnumber"`
	ItemID     string    `json:"item_id"`
	Barcode    string    `json:"barcode"`
	Override   *Override `json:"override,omitempty"`
	// RenewIfOnLoanToPatron renews the loan, under the renewal rules, when
	// the item is already on loan to this patron, instead of refusing with
	// already_checked_out (a self-check kiosk's "renewal policy"). A loan
	// to another patron is refused either way.
	RenewIfOnLoanToPatron bool `json:"renew_if_on_loan_to_patron,omitempty"`
}

// CheckoutResult is a new loan, or with RenewIfOnLoanToPatron the renewed
// one (Renewed true).
type CheckoutResult struct {
	Loan       *Loan    `json:"checkout"`
	Item       *Item    `json:"item"`
	Patron     *Patron  `json:"patron"`
	Overridden []string `json:"overridden,omitempty"`
	HoldFilled string   `json:"hold_filled,omitempty"`
	// Renewed says the patron already had the item and the loan was
	// renewed; FineCents is the overdue fine charged at that renewal.
	Renewed   bool  `json:"renewed,omitempty"`
	FineCents int64 `json:"fine_cents,omitempty"`
}

// CheckinRequest names an item by id or barcode.
type CheckinRequest struct {
	ItemID  string `json:"item_id"`
	Barcode string `json:"barcode"`
}

// Checkin actions: what staff do with the item next.
const (
	ActionShelve    = "shelve"
	ActionHoldShelf = "hold_shelf"
	ActionTransit   = "transit"
)

// CheckinResult says what happened and what to do with the item.
type CheckinResult struct {
	Item       *Item    `json:"item"`
	Loan       *Loan    `json:"checkout,omitempty"`
	Patron     *Patron  `json:"patron,omitempty"`
	FineCents  int64    `json:"fine_cents"`
	DaysLate   int      `json:"days_late"`
	Action     string   `json:"action"`
	TransitTo  string   `json:"transit_to,omitempty"`
	Hold       *Hold    `json:"hold,omitempty"`
	HoldPatron *Patron  `json:"hold_patron,omitempty"`
	Found      bool     `json:"found,omitempty"`
	Messages   []string `json:"messages"`
}

// RenewRequest names a loan by id, or an item on loan by id or barcode.
type RenewRequest struct {
	LoanID   string    `json:"checkout_id"`
	ItemID   string    `json:"item_id"`
	Barcode  string    `json:"barcode"`
	Override *Override `json:"override,omitempty"`
}

// RenewResult is a renewed loan.
type RenewResult struct {
	Loan       *Loan    `json:"checkout"`
	FineCents  int64    `json:"fine_cents"`
	Overridden []string `json:"overridden,omitempty"`
}
