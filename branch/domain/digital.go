package domain

import "strings"

// Digital lending: e-books, e-audiobooks and e-magazines are lent by
// licence, not by copy (branch/digital).

// DigitalItemTypes are the item types of the rules matrix that digital
// formats lend under: a rule for EBOOK sets an e-book's loan period,
// renewals and the most a patron may borrow.
var DigitalItemTypes = map[string]string{"ebook": "EBOOK", "eaudiobook": "EAUDIOBOOK", "emagazine": "EMAGAZINE"}

// Licence is one licence a library bought for a digital title: a number of
// copies, each lent to so many users at once, valid until a date and/or
// for a number of loans (e.g. OverDrive's "one copy one user", "26
// circulations", "24 months"). Base licences are the title's plain
// licence count (Biblio.Licences): copies for one user each, for ever.
type Licence struct {
	LicenceID string `json:"licence_id"`
	BiblioID  string `json:"biblio_id"`
	// Copies bought, each lent to Users patrons at once.
	Copies int `json:"copies"`
	Users  int `json:"concurrent_users"`
	// MaxLoans is how many loans the licence allows in all (0: no limit).
	MaxLoans int `json:"max_loans,omitempty"`
	// ExpiresOn is the last day a loan may be granted or run under it
	// ("": never).
	ExpiresOn string `json:"expires_on,omitempty"`
	Note      string `json:"note,omitempty"`
	AddedAt   string `json:"added_at,omitempty"`
	// Base marks the title's plain licence count.
	Base bool `json:"base,omitempty"`
	// LoansUsed are the loans granted under it so far; Active those
	// running now; Usable whether it may grant more loans today.
	LoansUsed int  `json:"loans_used"`
	Active    int  `json:"active_loans"`
	Usable    bool `json:"usable"`
}

// Capacity is how many patrons may have the title under l at once.
func (l *Licence) Capacity() int { return l.Copies * l.Users }

// NewLicence is a licence staff add to a digital title.
type NewLicence struct {
	BiblioID  string `json:"biblio_id"`
	Copies    int    `json:"copies"`
	Users     int    `json:"concurrent_users"`
	MaxLoans  int    `json:"max_loans"`
	ExpiresOn string `json:"expires_on"`
	Note      string `json:"note"`
}

// Normalise checks a new licence, defaulting to one user per copy.
func (l *NewLicence) Normalise() error {
	if l.BiblioID == "" {
		return Invalid("A licence needs the title it is for (biblio_id).")
	}
	if l.Users == 0 {
		l.Users = 1
	}
	switch {
	case l.Copies < 1 || l.Copies > 10000:
		return Invalid("A licence is for 1 to 10000 copies, not %d.", l.Copies)
	case l.Users < 1 || l.Users > 1000:
		return Invalid("A licence lends each copy to 1 to 1000 users at once, not %d.", l.Users)
	case l.MaxLoans < 0 || l.MaxLoans > 1000000:
		return Invalid("A licence's loan limit must be 0 (none) to 1000000, not %d.", l.MaxLoans)
	}
	l.ExpiresOn = strings.TrimSpace(l.ExpiresOn)
	if l.ExpiresOn != "" {
		if _, err := ParseDate(l.ExpiresOn); err != nil {
			return Invalid("A licence's expiry must be a date (YYYY-MM-DD), not %q.", l.ExpiresOn)
		}
	}
	return CheckText("Note", l.Note, 500)
}

// DigitalLoan is a loan of a digital title under a licence.
type DigitalLoan struct {
	LoanID     string `json:"checkout_id"`
	BiblioID   string `json:"biblio_id"`
	LicenceID  string `json:"licence_id"`
	PatronID   string `json:"patron_id"`
	Title      string `json:"title,omitempty"`
	Format     string `json:"format,omitempty"`
	IssuedAt   string `json:"checkout_date"`
	DueDate    string `json:"due_date"`
	Renewals   int    `json:"renewals"`
	ReturnedAt string `json:"checkin_date,omitempty"`
	// ReturnReason is how it ended: returned (early, by the patron or
	// staff) or expired (at the end of the loan period).
	ReturnReason string `json:"return_reason,omitempty"`
	// HoldID is the hold it filled, if any.
	HoldID string `json:"hold_id,omitempty"`
}

// AsLoan is the loan as a patron's loans list shows it, marked digital.
func (d *DigitalLoan) AsLoan() *Loan {
	return &Loan{LoanID: d.LoanID, PatronID: d.PatronID, IssuedAt: d.IssuedAt, DueDate: d.DueDate, Renewals: d.Renewals,
		ReturnedAt: d.ReturnedAt, Title: d.Title, Digital: true, BiblioID: d.BiblioID}
}

// DigitalHold is a patron's place in a digital title's queue. When a
// licence frees, the first waiting patron who may borrow is lent the
// title at once (the hold is filled: status filled, with its loan).
type DigitalHold struct {
	HoldID   string `json:"hold_id"`
	BiblioID string `json:"biblio_id"`
	PatronID string `json:"patron_id"`
	Title    string `json:"title,omitempty"`
	PlacedAt string `json:"placed_at"`
	// Status is waiting, filled or cancelled.
	Status   string `json:"status"`
	LoanID   string `json:"checkout_id,omitempty"`
	ClosedAt string `json:"closed_at,omitempty"`
	// Position is the place in the queue of a waiting hold (1 is next).
	Position int `json:"position,omitempty"`
}

// Digital hold statuses.
const (
	DigitalHoldWaiting   = "waiting"
	DigitalHoldFilled    = "filled"
	DigitalHoldCancelled = "cancelled"
)

// DigitalRequest asks for a digital loan, a return, a renewal or a hold.
type DigitalRequest struct {
	PatronID   string `json:"patron_id,omitempty"`
	Cardnumber string `json:"cardnumber,omitempty"`
	BiblioID   string `json:"biblio_id,omitempty"`
	LoanID     string `json:"checkout_id,omitempty"`
	HoldID     string `json:"hold_id,omitempty"`
}

// DigitalResult is what a digital request did.
type DigitalResult struct {
	Loan *DigitalLoan `json:"checkout,omitempty"`
	Hold *DigitalHold `json:"hold,omitempty"`
	// Filled are loans granted to waiting patrons because this request
	// freed or added a licence.
	Filled []*DigitalLoan `json:"filled_holds,omitempty"`
	// Returned are loans that ended at the end of their period (a sweep).
	Returned []*DigitalLoan `json:"returned,omitempty"`
	// Licence is a licence added.
	Licence *Licence `json:"licence,omitempty"`
}
