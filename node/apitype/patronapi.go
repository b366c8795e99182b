package apitype

import "stacks/branch/domain"

// PatronAccount is GET /api/v1/patron/account: the patron's loans, holds
// and charges with their totals, in the shape of FOLIO's mod-patron
// account (totalCharges, totalChargesCount, totalLoans, totalHolds, loans,
// holds, charges), so a discovery layer written for FOLIO reads it as is.
type PatronAccount struct {
	ID                string           `json:"id"`
	TotalCharges      Money            `json:"totalCharges"`
	TotalChargesCount int              `json:"totalChargesCount"`
	TotalLoans        int              `json:"totalLoans"`
	TotalHolds        int              `json:"totalHolds"`
	Loans             []*domain.Loan   `json:"loans"`
	Holds             []*domain.Hold   `json:"holds"`
	Charges           []domain.FeeLine `json:"charges"`
}

// Money is an amount as FOLIO writes it: a decimal amount and an ISO 4217
// currency, beside the exact cents.
type Money struct {
	Amount   float64 `json:"amount"`
	Cents    int64   `json:"amount_cents"`
	Currency string  `json:"isoCurrencyCode"`
}

// PatronRenewal is the outcome of renewing one loan in
// POST /api/v1/patron/checkouts/renewal: the renewed loan, or the refusal.
type PatronRenewal struct {
	CheckoutID string       `json:"checkout_id"`
	Renewed    bool         `json:"renewed"`
	Checkout   *domain.Loan `json:"checkout,omitempty"`
	Refusal    *Problem     `json:"refusal,omitempty"`
}

// PatronRenewAllRequest is POST /api/v1/patron/checkouts/renewal: the
// loans to renew by checkout_id, or every open loan when empty.
type PatronRenewAllRequest struct {
	CheckoutIDs []string `json:"checkout_ids"`
}

// PatronHoldRequest is POST /api/v1/patron/holds: the hold is always the
// caller's own.
type PatronHoldRequest struct {
	BiblioID       string `json:"biblio_id"`
	ItemID         string `json:"item_id"`
	PickupBranch   string `json:"pickup_library_id"`
	NotNeededAfter string `json:"not_needed_after,omitempty"`
}

// PatronHoldUpdate is PATCH /api/v1/patron/holds/{id}: each field set is
// changed. SuspendedUntil "" resumes a suspended hold; a date suspends it
// until then.
type PatronHoldUpdate struct {
	SuspendedUntil *string `json:"suspended_until"`
	PickupBranch   *string `json:"pickup_library_id"`
}

// PatronProfileUpdate is PATCH /api/v1/patron/profile: what a patron may
// change themselves.
type PatronProfileUpdate struct {
	Email    *string `json:"email"`
	Phone    *string `json:"phone"`
	Address  *string `json:"address"`
	Language *string `json:"lang"`
}

// PickupLocation is one library a hold may be picked up at.
type PickupLocation struct {
	LibraryID string `json:"library_id"`
	Name      string `json:"name"`
	Address   string `json:"address,omitempty"`
}

// ReadingHistorySetting is PUT /api/v1/patron/reading_history: turn the
// reading history on or off.
type ReadingHistorySetting struct {
	Enabled *bool `json:"enabled"`
}

// HandoffRequest is POST /api/v1/patron/handoff_codes: the intent the
// code carries (pickup_holds, pay_at_desk or kiosk_login).
type HandoffRequest struct {
	Intent string `json:"intent"`
}

// HandoffRedemption is POST /api/v1/handoff_codes/redemption: a typed or
// scanned code.
type HandoffRedemption struct {
	Code string `json:"code"`
}

// HandoffCode is a new handoff code, shown to the patron only: Code to
// type, QR the text of its QR code.
type HandoffCode struct {
	Code      string `json:"code"`
	QR        string `json:"qr"`
	Intent    string `json:"intent"`
	ExpiresAt string `json:"expires_at"`
}

// HandoffResult is what the desk or a kiosk gets for a redeemed code: the
// patron, the intent, and what was done (pickup_holds: the ready holds
// checked out; pay_at_desk: the account to take payment for;
// kiosk_login: the patron's status).
type HandoffResult struct {
	Intent  string               `json:"intent"`
	Patron  *domain.Patron       `json:"patron"`
	Pickups []HandoffPickup      `json:"pickups,omitempty"`
	Status  *domain.PatronStatus `json:"status,omitempty"`
	Account *domain.Account      `json:"account,omitempty"`
}

// HandoffPickup is one ready hold checked out by a pickup code, or the
// refusal.
type HandoffPickup struct {
	HoldID   string       `json:"hold_id"`
	Title    string       `json:"title"`
	Checkout *domain.Loan `json:"checkout,omitempty"`
	Refusal  *Problem     `json:"refusal,omitempty"`
}
