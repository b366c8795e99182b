package client

import (
	"context"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// PatronByCard finds a patron by card number; branch's patron_not_found if
// none has it.
func (c *Client) PatronByCard(ctx context.Context, card string) (*domain.Patron, error) {
	var ps []*domain.Patron
	if err := c.do(ctx, "GET", pathOf("patrons"), url.Values{"cardnumber": {card}}, nil, &ps); err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, &Error{Status: 404, Code: domain.CodePatronNotFound, Detail: "No patron has card number " + card + "."}
	}
	return ps[0], nil
}

// SearchPatrons finds patrons by name, card number or email.
func (c *Client) SearchPatrons(ctx context.Context, term string, max int) ([]*domain.Patron, error) {
	var ps []*domain.Patron
	return ps, c.do(ctx, "GET", pathOf("patrons"), page(url.Values{"q": {term}}, max), nil, &ps)
}

// Patron returns one patron.
func (c *Client) Patron(ctx context.Context, id string) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "GET", pathOf("patrons", id), nil, nil, &p)
}

// PatronStatus is what the desk shows about a patron: blocks, fines, loans
// and holds ready.
func (c *Client) PatronStatus(ctx context.Context, id string) (*domain.PatronStatus, error) {
	var st domain.PatronStatus
	return &st, c.do(ctx, "GET", pathOf("patrons", id, "status"), nil, nil, &st)
}

// RegisterPatron registers a new patron.
func (c *Client) RegisterPatron(ctx context.Context, np domain.NewPatron) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "POST", pathOf("patrons"), nil, np, &p)
}

// UpdatePatron changes the fields of u that are set.
func (c *Client) UpdatePatron(ctx context.Context, id string, u domain.PatronUpdate) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "PATCH", pathOf("patrons", id), nil, u, &p)
}

// BlockPatron blocks a patron from borrowing, with a reason.
func (c *Client) BlockPatron(ctx context.Context, id, reason string) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "POST", pathOf("patrons", id, "block"), nil, apitype.BlockRequest{Reason: reason}, &p)
}

// UnblockPatron lifts a block.
func (c *Client) UnblockPatron(ctx context.Context, id string) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "DELETE", pathOf("patrons", id, "block"), nil, nil, &p)
}

// RenewCard extends a patron's card by the category's enrolment period.
func (c *Client) RenewCard(ctx context.Context, id string) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "POST", pathOf("patrons", id, "card_renewal"), nil, nil, &p)
}

// PatronLoans lists a patron's open loans, or with history every loan.
func (c *Client) PatronLoans(ctx context.Context, id string, history bool) ([]*domain.Loan, error) {
	q := page(nil, 1000)
	if history {
		q.Set("history", "true")
	}
	var ls []*domain.Loan
	return ls, c.do(ctx, "GET", pathOf("patrons", id, "checkouts"), q, nil, &ls)
}

// PatronHolds lists a patron's holds.
func (c *Client) PatronHolds(ctx context.Context, id string) ([]*domain.Hold, error) {
	var hs []*domain.Hold
	return hs, c.do(ctx, "GET", pathOf("patrons", id, "holds"), page(nil, 1000), nil, &hs)
}

// Account is a patron's balance and fee ledger.
func (c *Client) Account(ctx context.Context, id string) (*domain.Account, error) {
	var a domain.Account
	return &a, c.do(ctx, "GET", pathOf("patrons", id, "account"), nil, nil, &a)
}

// Pay takes a payment; without a fee it settles the oldest fees first.
func (c *Client) Pay(ctx context.Context, id string, req domain.PaymentRequest) (*domain.Account, error) {
	var a domain.Account
	return &a, c.do(ctx, "POST", pathOf("patrons", id, "account", "payments"), nil, req, &a)
}

// Waive forgives fees; req.Reason is required.
func (c *Client) Waive(ctx context.Context, id string, req domain.PaymentRequest) (*domain.Account, error) {
	var a domain.Account
	return &a, c.do(ctx, "POST", pathOf("patrons", id, "account", "waivers"), nil, req, &a)
}
