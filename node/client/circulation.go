package client

import (
	"context"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// Checkout lends an item. A rule refusal is an *Error with Overridable set;
// a supervisor's client may repeat the request with req.Override.
func (c *Client) Checkout(ctx context.Context, req domain.CheckoutRequest) (*apitype.Checkout, error) {
	var out apitype.Checkout
	return &out, c.do(ctx, "POST", pathOf("checkouts"), nil, req, &out)
}

// Checkin returns an item and says what to do with it next.
func (c *Client) Checkin(ctx context.Context, req domain.CheckinRequest) (*domain.CheckinResult, error) {
	var out domain.CheckinResult
	return &out, c.do(ctx, "POST", pathOf("checkins"), nil, req, &out)
}

// Renew renews a loan named by checkout ID, item ID or barcode.
func (c *Client) Renew(ctx context.Context, req domain.RenewRequest) (*apitype.Renewal, error) {
	var out apitype.Renewal
	if req.LoanID != "" && req.Barcode == "" && req.ItemID == "" {
		body := apitype.RenewRequest{Override: req.Override}
		return &out, c.do(ctx, "POST", pathOf("checkouts", req.LoanID, "renewal"), nil, body, &out)
	}
	return &out, c.do(ctx, "POST", pathOf("checkouts", "renewal"), nil, req, &out)
}
