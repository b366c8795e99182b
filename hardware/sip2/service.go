package sip2

import (
	"context"
	"time"

	"stacks/branch/domain"
)

// The ACS needs of the branch the same commands the desk uses, split by
// what each handler needs. *branch.Service implements every one of them (node asserts it);
// the server holds one value that does (Library).

// Site is the branch the ACS serves: its clock, its ID and its libraries
// (the institution ID and name of 98, and of every answer's AO).
type Site interface {
	Now() time.Time
	Branch() string
	Library(ctx context.Context, id string) (*domain.Library, error)
}

// KioskLogins checks a kiosk's account (93).
type KioskLogins interface {
	Authenticate(ctx context.Context, username, password string) (*domain.Staff, error)
}

// Patrons finds the patron a message names (AA) and their standing (23,
// 63, 01, 25 and the preamble of every patron transaction).
type Patrons interface {
	PatronByCard(ctx context.Context, card string) (*domain.Patron, error)
	Status(ctx context.Context, patronID string) (*domain.PatronStatus, error)
}

// PatronLists are a patron's loans, holds and fees (63, the renewals of 29
// and 65, the cancelling of 11 and 15).
type PatronLists interface {
	PatronLoans(ctx context.Context, patronID string, history bool) ([]*domain.Loan, error)
	PatronHolds(ctx context.Context, patronID string) ([]*domain.Hold, error)
	Account(ctx context.Context, patronID string) (*domain.Account, error)
}

// Catalogue finds items and titles (17, 15, 19 and the titles in answers).
type Catalogue interface {
	ItemByBarcode(ctx context.Context, barcode string) (*domain.Item, error)
	Biblio(ctx context.Context, id string) (*domain.Biblio, error)
	TitleQueue(ctx context.Context, biblioID string) ([]*domain.Hold, error)
}

// ItemLoans names the open loan of an item, so that item information
// (17/18) reports its due date.
type ItemLoans interface {
	OpenLoan(ctx context.Context, itemID string) (*domain.Loan, error)
}

// ItemEditor sets an item's properties (19).
type ItemEditor interface {
	UpdateItem(ctx context.Context, id string, u domain.ItemUpdate) (*domain.Item, error)
}

// Circulation lends, returns and renews (11, 09, 29, 65).
type Circulation interface {
	Checkout(ctx context.Context, req domain.CheckoutRequest) (*domain.CheckoutResult, error)
	Checkin(ctx context.Context, req domain.CheckinRequest) (*domain.CheckinResult, error)
	Renew(ctx context.Context, req domain.RenewRequest) (*domain.RenewResult, error)
}

// Holds places and cancels holds (15).
type Holds interface {
	PlaceHold(ctx context.Context, req domain.HoldRequest) (*domain.Hold, error)
	CancelHold(ctx context.Context, id, reason string) (*domain.Hold, error)
}

// Payments takes fee payments (37).
type Payments interface {
	Pay(ctx context.Context, patronID string, req domain.PaymentRequest) (*domain.Account, error)
}

// Blocks blocks a card (01) and lifts a kiosk's block (25).
type Blocks interface {
	BlockPatron(ctx context.Context, id, reason string) (*domain.Patron, error)
	UnblockPatron(ctx context.Context, id string) (*domain.Patron, error)
}

// Library is everything the ACS needs, in one value: the server keeps it
// and each handler uses only its part.
type Library interface {
	Site
	KioskLogins
	Patrons
	PatronLists
	Catalogue
	ItemLoans
	ItemEditor
	Circulation
	Holds
	Payments
	Blocks
}

// PINVerifier checks a patron's PIN. It returns nil for a right PIN, a
// *domain.Error with code domain.CodeBadCredentials for a wrong one or an unknown
// card, and code domain.CodePINLocked once too many wrong PINs have been tried.
type PINVerifier interface {
	VerifyPIN(ctx context.Context, card, pin string) error
}

// PINVerifierFunc adapts a function to PINVerifier.
type PINVerifierFunc func(ctx context.Context, card, pin string) error

// VerifyPIN calls f.
func (f PINVerifierFunc) VerifyPIN(ctx context.Context, card, pin string) error {
	return f(ctx, card, pin)
}
