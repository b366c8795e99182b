package sip2

import (
	"context"
	"time"

	"stacks/branch"
)

// Library is what the ACS needs of the branch: the same commands the desk
// uses. *branch.Service implements it.
type Library interface {
	Now() time.Time
	Branch() string
	Library(ctx context.Context, id string) (*branch.Library, error)
	Authenticate(ctx context.Context, username, password string) (*branch.Staff, error)
	PatronByCard(ctx context.Context, card string) (*branch.Patron, error)
	Status(ctx context.Context, patronID string) (*branch.PatronStatus, error)
	PatronLoans(ctx context.Context, patronID string, history bool) ([]*branch.Loan, error)
	PatronHolds(ctx context.Context, patronID string) ([]*branch.Hold, error)
	Account(ctx context.Context, patronID string) (*branch.Account, error)
	ItemByBarcode(ctx context.Context, barcode string) (*branch.Item, error)
	UpdateItem(ctx context.Context, id string, u branch.ItemUpdate) (*branch.Item, error)
	Biblio(ctx context.Context, id string) (*branch.Biblio, error)
	TitleQueue(ctx context.Context, biblioID string) ([]*branch.Hold, error)
	Checkout(ctx context.Context, req branch.CheckoutRequest) (*branch.CheckoutResult, error)
	Checkin(ctx context.Context, req branch.CheckinRequest) (*branch.CheckinResult, error)
	Renew(ctx context.Context, req branch.RenewRequest) (*branch.RenewResult, error)
	PlaceHold(ctx context.Context, req branch.HoldRequest) (*branch.Hold, error)
	CancelHold(ctx context.Context, id, reason string) (*branch.Hold, error)
	Pay(ctx context.Context, patronID string, req branch.PaymentRequest) (*branch.Account, error)
	BlockPatron(ctx context.Context, id, reason string) (*branch.Patron, error)
	UnblockPatron(ctx context.Context, id string) (*branch.Patron, error)
}

// ItemLoans is optional: a Library that can name the open loan of an item
// lets item information (17/18) report its due date.
type ItemLoans interface {
	OpenLoan(ctx context.Context, itemID string) (*branch.Loan, error)
}

// PINVerifier checks a patron's PIN. It returns nil for a right PIN, a
// *branch.Error with code "bad_credentials" for a wrong one or an unknown
// card, and code "pin_locked" once too many wrong PINs have been tried.
type PINVerifier interface {
	VerifyPIN(ctx context.Context, card, pin string) error
}

// PINVerifierFunc adapts a function to PINVerifier.
type PINVerifierFunc func(ctx context.Context, card, pin string) error

// VerifyPIN calls f.
func (f PINVerifierFunc) VerifyPIN(ctx context.Context, card, pin string) error {
	return f(ctx, card, pin)
}
