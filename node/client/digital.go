package client

import (
	"context"

	"stacks/branch/domain"
)

// Digital lending: licences of digital titles, loans granted under them,
// renewals, early returns and holds. On a branch cut off from the central
// site these answer domain.CodeDigitalOffline.

// Licences lists a digital title's licences with their use today.
func (c *Client) Licences(ctx context.Context, biblioID string) ([]*domain.Licence, error) {
	var ls []*domain.Licence
	return ls, c.do(ctx, "GET", pathOf("biblios", biblioID, "licences"), nil, nil, &ls)
}

// AddLicence records a licence bought for a digital title (staff with
// catalogue.write); waiting patrons are lent the new places at once.
func (c *Client) AddLicence(ctx context.Context, nl domain.NewLicence) (*domain.DigitalResult, error) {
	var r domain.DigitalResult
	return &r, c.do(ctx, "POST", pathOf("biblios", nl.BiblioID, "licences"), nil, nl, &r)
}

// BorrowDigital lends a digital title to a patron (patron_id or
// cardnumber, and biblio_id).
func (c *Client) BorrowDigital(ctx context.Context, req domain.DigitalRequest) (*domain.DigitalResult, error) {
	var r domain.DigitalResult
	return &r, c.do(ctx, "POST", pathOf("digital_checkouts"), nil, req, &r)
}

// DigitalLoan is one digital loan.
func (c *Client) DigitalLoan(ctx context.Context, id string) (*domain.DigitalLoan, error) {
	var l domain.DigitalLoan
	return &l, c.do(ctx, "GET", pathOf("digital_checkouts", id), nil, nil, &l)
}

// RenewDigital renews a digital loan.
func (c *Client) RenewDigital(ctx context.Context, loanID string) (*domain.DigitalResult, error) {
	var r domain.DigitalResult
	return &r, c.do(ctx, "POST", pathOf("digital_checkouts", loanID, "renewal"), nil, nil, &r)
}

// ReturnDigital ends a digital loan early.
func (c *Client) ReturnDigital(ctx context.Context, loanID string) (*domain.DigitalResult, error) {
	var r domain.DigitalResult
	return &r, c.do(ctx, "POST", pathOf("digital_checkouts", loanID, "return"), nil, nil, &r)
}

// PlaceDigitalHold puts a patron in a digital title's queue; if a place is
// free the result carries the loan at once.
func (c *Client) PlaceDigitalHold(ctx context.Context, req domain.DigitalRequest) (*domain.DigitalResult, error) {
	var r domain.DigitalResult
	return &r, c.do(ctx, "POST", pathOf("digital_holds"), nil, req, &r)
}

// CancelDigitalHold takes a patron out of a queue.
func (c *Client) CancelDigitalHold(ctx context.Context, holdID string) (*domain.DigitalResult, error) {
	var r domain.DigitalResult
	return &r, c.do(ctx, "DELETE", pathOf("digital_holds", holdID), nil, nil, &r)
}

// PatronDigitalHolds lists a patron's waiting digital holds.
func (c *Client) PatronDigitalHolds(ctx context.Context, patronID string) ([]*domain.DigitalHold, error) {
	var hs []*domain.DigitalHold
	return hs, c.do(ctx, "GET", pathOf("patrons", patronID, "digital_holds"), nil, nil, &hs)
}

// DigitalQueue is a digital title's waiting holds, in order.
func (c *Client) DigitalQueue(ctx context.Context, biblioID string) ([]*domain.DigitalHold, error) {
	var hs []*domain.DigitalHold
	return hs, c.do(ctx, "GET", pathOf("biblios", biblioID, "digital_holds"), nil, nil, &hs)
}
