package client

import (
	"context"

	"stacks/branch"
)

// Checkout is a loan made: the loan's fields plus what the command did.
type Checkout struct {
	branch.Loan
	Cardnumber string   `json:"cardnumber,omitempty"`
	Overridden []string `json:"overridden,omitempty"`
	HoldFilled string   `json:"hold_filled,omitempty"`
	// ItemProperties is what the copy is made of, to check every part.
	ItemProperties string `json:"item_properties,omitempty"`
}

// Renewal is a renewed loan with the fine charged at renewal.
type Renewal struct {
	branch.Loan
	FineCents  int64    `json:"fine_cents"`
	Overridden []string `json:"overridden,omitempty"`
}

// Checkout lends an item. A rule refusal is an *Error with Overridable set;
// a supervisor's client may repeat the request with req.Override.
func (c *Client) Checkout(ctx context.Context, req branch.CheckoutRequest) (*Checkout, error) {
	var out Checkout
	return &out, c.do(ctx, "POST", pathOf("checkouts"), nil, req, &out)
}

// Checkin returns an item and says what to do with it next.
func (c *Client) Checkin(ctx context.Context, req branch.CheckinRequest) (*branch.CheckinResult, error) {
	var out branch.CheckinResult
	return &out, c.do(ctx, "POST", pathOf("checkins"), nil, req, &out)
}

// Renew renews a loan named by checkout ID, item ID or barcode.
func (c *Client) Renew(ctx context.Context, req branch.RenewRequest) (*Renewal, error) {
	var out Renewal
	if req.LoanID != "" && req.Barcode == "" && req.ItemID == "" {
		body := struct {
			Override *branch.Override `json:"override,omitempty"`
		}{req.Override}
		return &out, c.do(ctx, "POST", pathOf("checkouts", req.LoanID, "renewal"), nil, body, &out)
	}
	return &out, c.do(ctx, "POST", pathOf("checkouts", "renewal"), nil, req, &out)
}
