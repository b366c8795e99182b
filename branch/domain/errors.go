package domain

import (
	"errors"
	"fmt"
	"slices"
)

// Error is a refusal a user should see: a stable machine code and a message
// in plain words. Edges translate it once (HTTP problem+json, SIP2 screen
// message, TUI status line); its Kind, not its code, decides how.
type Error struct {
	Code    Code
	Message string
	// Overridable refusals may be overridden by a supervisor with a reason.
	Overridable bool
	// Also lists the other refusals of the same request, which an override
	// sets aside together with this one.
	Also []*Error
}

func (e *Error) Error() string { return e.Message }

// Kind is what sort of refusal e is, from its code.
func (e *Error) Kind() Kind { return e.Code.Kind() }

// Is makes errors.Is match on the code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// ErrorCode returns the code of err if it is an *Error, else CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

func Refuse(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Overridable: true}
}

func Fail(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func Invalid(format string, args ...any) *Error { return Fail(CodeInvalid, format, args...) }

// Kind sorts refusals by what the caller can do about them; each edge maps
// a kind to its own answer (an HTTP status, a SIP2 flag) in one place.
type Kind uint8

const (
	// KindInternal is a failure of the system, not a refusal: the zero
	// Kind, and the kind of any code not in the table below.
	KindInternal Kind = iota
	// KindNotFound: what the request names does not exist.
	KindNotFound
	// KindInvalid: the request itself is malformed or incomplete.
	KindInvalid
	// KindRefused: a rule or a permission says no. Some refusals are
	// Overridable by a supervisor; the error says which.
	KindRefused
	// KindConflict: the request contradicts the current state (a
	// duplicate, something already done).
	KindConflict
	// KindUnauthorised: the caller is not who they claim (a wrong
	// password or PIN) or has not signed in.
	KindUnauthorised
	// KindLocked: the caller is locked out for a while.
	KindLocked
	// KindUnavailable: a part of the system needed now cannot be reached.
	KindUnavailable
	// KindTooLarge: the request is bigger than a limit allows.
	KindTooLarge
	// KindUnsupported: the operation is not offered (an HTTP method a
	// resource does not have).
	KindUnsupported

	kindCount // keep last
)

// Kinds lists every Kind.
func Kinds() []Kind {
	ks := make([]Kind, kindCount)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

var kindNames = [kindCount]string{
	KindInternal: "internal", KindNotFound: "not found", KindInvalid: "invalid", KindRefused: "refused",
	KindConflict: "conflict", KindUnauthorised: "unauthorised", KindLocked: "locked",
	KindUnavailable: "unavailable", KindTooLarge: "too large", KindUnsupported: "unsupported",
}

func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Code is the stable machine code of a refusal, part of every channel's
// protocol: clients compare it with these constants, never with literals.
type Code string

// Kind is the code's kind; KindInternal for a code not in the table.
func (c Code) Kind() Kind { return codeKinds[c] }

// The codes, with their kinds in codeKinds. Add a code to both: a test
// fails for a constant without a kind.
const (
	// CodeInternal is what ErrorCode says of an error that is not a
	// refusal: a failure to log, not to show.
	CodeInternal Code = "internal"

	CodeNotFound           Code = "not_found"
	CodePatronNotFound     Code = "patron_not_found"
	CodeItemNotFound       Code = "item_not_found"
	CodeBiblioNotFound     Code = "biblio_not_found"
	CodeLoanNotFound       Code = "checkout_not_found"
	CodeHoldNotFound       Code = "hold_not_found"
	CodeFeeNotFound        Code = "fee_not_found"
	CodeLibraryNotFound    Code = "library_not_found"
	CodeCategoryNotFound   Code = "category_not_found"
	CodeItemTypeNotFound   Code = "item_type_not_found"
	CodeConflictNotFound   Code = "conflict_not_found"
	CodeInvalid            Code = "invalid"
	CodeBadBarcode         Code = "bad_barcode"
	CodeBadAmount          Code = "bad_amount"
	CodeOverrideReason     Code = "override_reason_required"
	CodePatronBlocked      Code = "patron_blocked"
	CodeCardExpired        Code = "card_expired"
	CodeTooManyLoans       Code = "too_many_loans"
	CodeFinesOverLimit     Code = "fines_over_limit"
	CodeItemOnHold         Code = "item_on_hold"
	CodeNotLoanable        Code = "not_loanable"
	CodeItemNotAvailable   Code = "item_not_available"
	CodeRenewalsExhausted  Code = "renewals_exhausted"
	CodeRenewalBlocked     Code = "renewal_blocked_by_hold"
	CodeHoldNotAllowed     Code = "hold_not_allowed"
	CodeTooManyHolds       Code = "too_many_holds"
	CodeAlreadyOnLoan      Code = "already_on_loan"
	CodeNotPermitted       Code = "not_permitted"
	CodeOverrideNotAllowed Code = "override_not_permitted"
	CodeDuplicateHold      Code = "duplicate_hold"
	CodeDuplicateCard      Code = "duplicate_cardnumber"
	CodeDuplicateBarcode   Code = "duplicate_barcode"
	CodeDuplicatePatron    Code = "duplicate_patron"
	CodeNotSelfRegistered  Code = "not_self_registered"
	CodeItemCheckedOut     Code = "item_checked_out"
	CodeAlreadyCheckedOut  Code = "already_checked_out"
	CodeHoldNotActive      Code = "hold_not_active"
	CodeConflictResolved   Code = "conflict_resolved"
	CodeBadCredentials     Code = "bad_credentials"
	CodePINLocked          Code = "pin_locked"
	// CodeErasureRefused: the patron to erase still holds items or owes money.
	CodeErasureRefused Code = "erasure_refused"
	// CodeNotLoggedIn and CodePINRequired are the kiosk channel's: a
	// self-check machine that has not signed in, a patron who must enter
	// a PIN first.
	CodeNotLoggedIn Code = "not_logged_in"
	CodePINRequired Code = "pin_required"

	// Digital lending (branch/digital): no licence of the title is free
	// now (a hold may be placed); the title is not lent by licence; this
	// node cannot reach the central site that grants digital loans.
	CodeNoLicenceFree  Code = "no_licence_free"
	CodeNotDigital     Code = "not_digital"
	CodeDigitalOffline Code = "digital_lending_unavailable"
	// CodeNoticesUnavailable: this node has no channel to send notices.
	CodeNoticesUnavailable Code = "notices_unavailable"
	CodeLicenceNotFound    Code = "licence_not_found"
	CodeDigitalLoanExists  Code = "digital_loan_exists"
	// CodeSuggestionsOff: the patron has not turned on personal
	// suggestions (branch/recommend).
	CodeSuggestionsOff Code = "suggestions_off"
)

var codeKinds = map[Code]Kind{
	CodeInternal: KindInternal,

	CodeNotFound: KindNotFound, CodePatronNotFound: KindNotFound, CodeItemNotFound: KindNotFound,
	CodeBiblioNotFound: KindNotFound, CodeLoanNotFound: KindNotFound, CodeHoldNotFound: KindNotFound,
	CodeFeeNotFound: KindNotFound, CodeLibraryNotFound: KindNotFound, CodeCategoryNotFound: KindNotFound,
	CodeItemTypeNotFound: KindNotFound, CodeConflictNotFound: KindNotFound,

	CodeInvalid: KindInvalid, CodeBadBarcode: KindInvalid, CodeBadAmount: KindInvalid, CodeOverrideReason: KindInvalid,

	CodePatronBlocked: KindRefused, CodeCardExpired: KindRefused, CodeTooManyLoans: KindRefused,
	CodeFinesOverLimit: KindRefused, CodeItemOnHold: KindRefused, CodeNotLoanable: KindRefused,
	CodeItemNotAvailable: KindRefused, CodeRenewalsExhausted: KindRefused, CodeRenewalBlocked: KindRefused,
	CodeHoldNotAllowed: KindRefused, CodeTooManyHolds: KindRefused, CodeAlreadyOnLoan: KindRefused,
	CodeNotPermitted: KindRefused, CodeOverrideNotAllowed: KindRefused, CodeSuggestionsOff: KindRefused,

	CodeDuplicateHold: KindConflict, CodeDuplicateCard: KindConflict, CodeDuplicateBarcode: KindConflict,
	CodeItemCheckedOut: KindConflict, CodeAlreadyCheckedOut: KindConflict, CodeHoldNotActive: KindConflict,
	CodeConflictResolved: KindConflict, CodeDuplicatePatron: KindConflict, CodeNotSelfRegistered: KindConflict,
	CodeErasureRefused: KindConflict,

	CodeBadCredentials: KindUnauthorised, CodeNotLoggedIn: KindUnauthorised, CodePINRequired: KindUnauthorised,

	CodePINLocked: KindLocked,

	CodeNoLicenceFree: KindRefused, CodeNotDigital: KindInvalid, CodeDigitalOffline: KindUnavailable,
	CodeLicenceNotFound: KindNotFound, CodeDigitalLoanExists: KindConflict,

	CodeNoticesUnavailable: KindUnavailable,
}

// Codes lists every code, sorted.
func Codes() []Code {
	cs := make([]Code, 0, len(codeKinds))
	for c := range codeKinds {
		cs = append(cs, c)
	}
	slices.Sort(cs)
	return cs
}

// Sentinels for errors.Is. Only the code is compared.
var (
	ErrNotFound            = &Error{Code: CodeNotFound}
	ErrPatronNotFound      = &Error{Code: CodePatronNotFound}
	ErrItemNotFound        = &Error{Code: CodeItemNotFound}
	ErrBiblioNotFound      = &Error{Code: CodeBiblioNotFound}
	ErrLoanNotFound        = &Error{Code: CodeLoanNotFound}
	ErrHoldNotFound        = &Error{Code: CodeHoldNotFound}
	ErrFeeNotFound         = &Error{Code: CodeFeeNotFound}
	ErrInvalid             = &Error{Code: CodeInvalid}
	ErrPatronBlocked       = &Error{Code: CodePatronBlocked}
	ErrCardExpired         = &Error{Code: CodeCardExpired}
	ErrTooManyLoans        = &Error{Code: CodeTooManyLoans}
	ErrFinesOverLimit      = &Error{Code: CodeFinesOverLimit}
	ErrItemOnHold          = &Error{Code: CodeItemOnHold}
	ErrNotLoanable         = &Error{Code: CodeNotLoanable}
	ErrItemNotAvailable    = &Error{Code: CodeItemNotAvailable}
	ErrItemCheckedOut      = &Error{Code: CodeItemCheckedOut}
	ErrRenewalsExhausted   = &Error{Code: CodeRenewalsExhausted}
	ErrRenewalBlockedHold  = &Error{Code: CodeRenewalBlocked}
	ErrHoldNotAllowed      = &Error{Code: CodeHoldNotAllowed}
	ErrDuplicateHold       = &Error{Code: CodeDuplicateHold}
	ErrTooManyHolds        = &Error{Code: CodeTooManyHolds}
	ErrDuplicateCardnumber = &Error{Code: CodeDuplicateCard}
	ErrDuplicateBarcode    = &Error{Code: CodeDuplicateBarcode}
	ErrDuplicatePatron     = &Error{Code: CodeDuplicatePatron}
	ErrNotSelfRegistered   = &Error{Code: CodeNotSelfRegistered}
	ErrOverrideNotAllowed  = &Error{Code: CodeOverrideNotAllowed}
	ErrOverrideReason      = &Error{Code: CodeOverrideReason}
	ErrNotPermitted        = &Error{Code: CodeNotPermitted}
	ErrBadCredentials      = &Error{Code: CodeBadCredentials}
	ErrAmount              = &Error{Code: CodeBadAmount}
	ErrHoldState           = &Error{Code: CodeHoldNotActive}
)
