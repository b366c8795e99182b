package branch

// Op kinds. The payload of each is the struct named beside it, as JSON.
// Kinds are part of the replicated wire format: never change what one means;
// add a new kind instead.
const (
	KindLibrarySet  = "library.set"  // fieldsOp keyed by branch_id
	KindCategorySet = "category.set" // fieldsOp keyed by category
	KindItemTypeSet = "itemtype.set" // fieldsOp keyed by item_type
	KindPatronSet   = "patron.set"   // fieldsOp keyed by patron_id
	KindBiblioSet   = "biblio.set"   // fieldsOp keyed by biblio_id
	KindItemSet     = "item.set"     // fieldsOp keyed by item_id
	KindRuleSet     = "rule.set"     // fieldsOp keyed by branch_id, category, item_type
	KindHoursSet    = "hours.set"    // fieldsOp keyed by branch_id, weekday
	KindClosedSet   = "closed.set"   // fieldsOp keyed by branch_id, date
	KindStaffSet    = "staff.set"    // fieldsOp keyed by username
	KindCheckout    = "loan.checkout"
	KindCheckin     = "loan.checkin"
	KindRenew       = "loan.renew"
	KindHoldPlace   = "hold.place"
	KindHoldStatus  = "hold.status"
	KindHoldSuspend = "hold.suspend" // holdSuspendOp: suspended until a date, or resumed
	KindHoldPickup  = "hold.pickup"  // holdPickupOp: the pickup branch changed after placing
	KindFeeLines    = "fee.lines"
	KindPINAttempt  = "patron.pin_attempt"
)

type pinAttemptOp struct {
	PatronID string `json:"patron_id"`
	OK       bool   `json:"ok"`
	At       string `json:"at"`
}

// fieldsOp sets fields of one row, each merged last-writer-wins.
type fieldsOp struct {
	Key    map[string]any `json:"key"`
	Fields map[string]any `json:"fields"`
	// Reason explains the change where policy asks for one (blocks, waivers).
	Reason string `json:"reason,omitempty"`
}

// overrideRec records a staff override of rule refusals.
type overrideRec struct {
	Codes  []string `json:"codes"`
	Reason string   `json:"reason"`
}

type checkoutOp struct {
	LoanID   string `json:"loan_id"`
	ItemID   string `json:"item_id"`
	PatronID string `json:"patron_id"`
	BranchID string `json:"branch_id"`
	IssuedAt string `json:"issued_at"`
	DueDate  string `json:"due_date"`
	// After is the item's previous loan as the lending branch knew it.
	After    string       `json:"after,omitempty"`
	Override *overrideRec `json:"override,omitempty"`
	// Format (its title's) and Owner (its home branch) are the item's as
	// the lending branch knew them: what collection turnover counts the
	// loan under (branch/insight), the same on every replica whenever the
	// item's own ops arrive there. Always written, "" included: an op
	// without them is one from before they were.
	Format string `json:"format"`
	Owner  string `json:"owner"`
}

type checkinOp struct {
	LoanID     string `json:"loan_id"`
	ItemID     string `json:"item_id"`
	ReturnedAt string `json:"returned_at"`
	BranchID   string `json:"branch_id"`
	Lost       bool   `json:"lost,omitempty"`
}

type renewOp struct {
	LoanID    string       `json:"loan_id"`
	ItemID    string       `json:"item_id"`
	PatronID  string       `json:"patron_id"`
	RenewalID string       `json:"renewal_id"`
	DueDate   string       `json:"due_date"`
	RenewedAt string       `json:"renewed_at"`
	BranchID  string       `json:"branch_id"`
	Override  *overrideRec `json:"override,omitempty"`
}

type holdPlaceOp struct {
	HoldID       string       `json:"hold_id"`
	PatronID     string       `json:"patron_id"`
	BiblioID     string       `json:"biblio_id"`
	ItemID       string       `json:"item_id,omitempty"`
	PickupBranch string       `json:"pickup_branch"`
	PlacedAt     string       `json:"placed_at"`
	Override     *overrideRec `json:"override,omitempty"`
	// NotNeededAfter is the last date the patron still wants the title
	// (YYYY-MM-DD), or empty.
	NotNeededAfter string `json:"not_needed_after,omitempty"`
}

// holdSuspendOp sets a hold's suspension, a last-writer-wins register: a
// suspended hold is skipped by trapping until the date Until (YYYY-MM-DD);
// an empty Until resumes it.
type holdSuspendOp struct {
	HoldID string `json:"hold_id"`
	Until  string `json:"until"`
}

// holdPickupOp changes where a hold is to be collected, a last-writer-wins
// register over the branch the hold was placed with.
type holdPickupOp struct {
	HoldID       string `json:"hold_id"`
	PickupBranch string `json:"pickup_branch"`
}

type holdStatusOp struct {
	HoldID       string `json:"hold_id"`
	Status       string `json:"status"`
	ItemID       string `json:"item_id,omitempty"`
	ShelfExpires string `json:"shelf_expires,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

type feeLine struct {
	LineID      string `json:"line_id"`
	PatronID    string `json:"patron_id"`
	Kind        string `json:"kind"`
	AmountCents int64  `json:"amount_cents"`
	AppliesTo   string `json:"applies_to,omitempty"`
	LoanID      string `json:"loan_id,omitempty"`
	ItemID      string `json:"item_id,omitempty"`
	Description string `json:"description,omitempty"`
	Method      string `json:"method,omitempty"`
	CreatedAt   string `json:"created_at"`
	BranchID    string `json:"branch_id,omitempty"`
}

type feeLinesOp struct {
	Lines  []feeLine `json:"lines"`
	Reason string    `json:"reason,omitempty"`
}
