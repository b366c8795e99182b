package branch

import (
	"errors"
	"fmt"
)

// Error is a refusal a user should see: a stable machine code and a message
// in plain words. Edges translate it once (HTTP problem+json, SIP2 screen
// message, TUI status line).
type Error struct {
	Code    string
	Message string
	// Overridable refusals may be overridden by a supervisor with a reason.
	Overridable bool
	// Also lists the other refusals of the same request, which an override
	// sets aside together with this one.
	Also []*Error
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is match on the code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// ErrorCode returns the code of err if it is an *Error, else "internal".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "internal"
}

func refuse(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Overridable: true}
}

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for errors.Is. Only the code is compared.
var (
	ErrNotFound            = &Error{Code: "not_found"}
	ErrPatronNotFound      = &Error{Code: "patron_not_found"}
	ErrItemNotFound        = &Error{Code: "item_not_found"}
	ErrBiblioNotFound      = &Error{Code: "biblio_not_found"}
	ErrLoanNotFound        = &Error{Code: "checkout_not_found"}
	ErrHoldNotFound        = &Error{Code: "hold_not_found"}
	ErrFeeNotFound         = &Error{Code: "fee_not_found"}
	ErrInvalid             = &Error{Code: "invalid"}
	ErrPatronBlocked       = &Error{Code: "patron_blocked"}
	ErrCardExpired         = &Error{Code: "card_expired"}
	ErrTooManyLoans        = &Error{Code: "too_many_loans"}
	ErrFinesOverLimit      = &Error{Code: "fines_over_limit"}
	ErrItemOnHold          = &Error{Code: "item_on_hold"}
	ErrNotLoanable         = &Error{Code: "not_loanable"}
	ErrItemNotAvailable    = &Error{Code: "item_not_available"}
	ErrItemCheckedOut      = &Error{Code: "item_checked_out"}
	ErrRenewalsExhausted   = &Error{Code: "renewals_exhausted"}
	ErrRenewalBlockedHold  = &Error{Code: "renewal_blocked_by_hold"}
	ErrHoldNotAllowed      = &Error{Code: "hold_not_allowed"}
	ErrDuplicateHold       = &Error{Code: "duplicate_hold"}
	ErrTooManyHolds        = &Error{Code: "too_many_holds"}
	ErrDuplicateCardnumber = &Error{Code: "duplicate_cardnumber"}
	ErrDuplicateBarcode    = &Error{Code: "duplicate_barcode"}
	ErrOverrideNotAllowed  = &Error{Code: "override_not_permitted"}
	ErrOverrideReason      = &Error{Code: "override_reason_required"}
	ErrNotPermitted        = &Error{Code: "not_permitted"}
	ErrBadCredentials      = &Error{Code: "bad_credentials"}
	ErrAmount              = &Error{Code: "bad_amount"}
	ErrHoldState           = &Error{Code: "hold_not_active"}
)

func invalid(format string, args ...any) *Error { return fail("invalid", format, args...) }
