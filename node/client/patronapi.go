package client

import (
	"context"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// The patron API (/api/v1/patron/...): a client logged in as a patron with
// PatronLogin acts on that patron's own account only.

// PatronLogin checks a card number and PIN (POST /api/v1/auth/patron) and
// returns a copy of c that sends the patron's token.
func (c *Client) PatronLogin(ctx context.Context, cardnumber, pin string) (*Client, *apitype.PatronSession, error) {
	var s apitype.PatronSession
	anon := c.WithToken("")
	if err := anon.do(ctx, "POST", pathOf("auth", "patron"), nil, apitype.PatronLoginRequest{Cardnumber: cardnumber, PIN: pin}, &s); err != nil {
		return nil, nil, err
	}
	return c.WithToken(s.Token), &s, nil
}

// MyProfile is the logged-in patron's record.
func (c *Client) MyProfile(ctx context.Context) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "GET", pathOf("patron", "profile"), nil, nil, &p)
}

// UpdateMyProfile changes the patron's contact details or language.
func (c *Client) UpdateMyProfile(ctx context.Context, u apitype.PatronProfileUpdate) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "PATCH", pathOf("patron", "profile"), nil, u, &p)
}

// MyAccount is the patron's loans, holds and charges with their totals.
func (c *Client) MyAccount(ctx context.Context) (*apitype.PatronAccount, error) {
	var a apitype.PatronAccount
	return &a, c.do(ctx, "GET", pathOf("patron", "account"), nil, nil, &a)
}

// MyCheckouts are the patron's open loans.
func (c *Client) MyCheckouts(ctx context.Context) ([]*domain.Loan, error) {
	var ls []*domain.Loan
	return ls, c.do(ctx, "GET", pathOf("patron", "checkouts"), page(nil, 1000), nil, &ls)
}

// RenewMine renews one of the patron's loans.
func (c *Client) RenewMine(ctx context.Context, checkoutID string) (*apitype.Renewal, error) {
	var r apitype.Renewal
	return &r, c.do(ctx, "POST", pathOf("patron", "checkouts", checkoutID, "renewal"), nil, nil, &r)
}

// RenewAllMine renews the loans named, or all of them when none is, and
// reports each one's outcome.
func (c *Client) RenewAllMine(ctx context.Context, checkoutIDs ...string) ([]apitype.PatronRenewal, error) {
	var rs []apitype.PatronRenewal
	return rs, c.do(ctx, "POST", pathOf("patron", "checkouts", "renewal"), nil, apitype.PatronRenewAllRequest{CheckoutIDs: checkoutIDs}, &rs)
}

// MyHolds are the patron's holds.
func (c *Client) MyHolds(ctx context.Context) ([]*domain.Hold, error) {
	var hs []*domain.Hold
	return hs, c.do(ctx, "GET", pathOf("patron", "holds"), page(nil, 1000), nil, &hs)
}

// PlaceMyHold places a hold for the patron.
func (c *Client) PlaceMyHold(ctx context.Context, req apitype.PatronHoldRequest) (*domain.Hold, error) {
	var h domain.Hold
	return &h, c.do(ctx, "POST", pathOf("patron", "holds"), nil, req, &h)
}

// UpdateMyHold suspends, resumes or moves one of the patron's holds.
func (c *Client) UpdateMyHold(ctx context.Context, holdID string, u apitype.PatronHoldUpdate) (*domain.Hold, error) {
	var h domain.Hold
	return &h, c.do(ctx, "PATCH", pathOf("patron", "holds", holdID), nil, u, &h)
}

// CancelMyHold cancels one of the patron's holds.
func (c *Client) CancelMyHold(ctx context.Context, holdID string) (*domain.Hold, error) {
	var h domain.Hold
	return &h, c.do(ctx, "DELETE", pathOf("patron", "holds", holdID), nil, nil, &h)
}

// MyCharges are the patron's unpaid charges.
func (c *Client) MyCharges(ctx context.Context) ([]domain.FeeLine, error) {
	var cs []domain.FeeLine
	return cs, c.do(ctx, "GET", pathOf("patron", "charges"), nil, nil, &cs)
}

// PickupLocations are the libraries a hold may be picked up at.
func (c *Client) PickupLocations(ctx context.Context) ([]apitype.PickupLocation, error) {
	var ls []apitype.PickupLocation
	return ls, c.do(ctx, "GET", pathOf("patron", "pickup_locations"), nil, nil, &ls)
}

// MyReadingHistory is the patron's reading history (empty while it is off).
func (c *Client) MyReadingHistory(ctx context.Context) (*domain.ReadingHistory, error) {
	var h domain.ReadingHistory
	return &h, c.do(ctx, "GET", pathOf("patron", "reading_history"), nil, nil, &h)
}

// SetMyReadingHistory turns the patron's reading history on or off.
func (c *Client) SetMyReadingHistory(ctx context.Context, on bool) (*domain.ReadingHistory, error) {
	var h domain.ReadingHistory
	return &h, c.do(ctx, "PUT", pathOf("patron", "reading_history"), nil, apitype.ReadingHistorySetting{Enabled: &on}, &h)
}

// ClearMyReadingHistory deletes the patron's reading history so far.
func (c *Client) ClearMyReadingHistory(ctx context.Context) error {
	return c.do(ctx, "DELETE", pathOf("patron", "reading_history"), nil, nil, nil)
}

// MyMessagingPreferences are the patron's messaging preferences.
func (c *Client) MyMessagingPreferences(ctx context.Context) (*domain.MessagingPrefs, error) {
	var p domain.MessagingPrefs
	return &p, c.do(ctx, "GET", pathOf("patron", "messaging_preferences"), nil, nil, &p)
}

// SetMyMessagingPreferences replaces the patron's messaging preferences.
func (c *Client) SetMyMessagingPreferences(ctx context.Context, p domain.MessagingPrefs) (*domain.MessagingPrefs, error) {
	var out domain.MessagingPrefs
	return &out, c.do(ctx, "PUT", pathOf("patron", "messaging_preferences"), nil, p, &out)
}

// IssueHandoff makes a handoff code for the logged-in patron's intent
// (pickup_holds, pay_at_desk or kiosk_login).
func (c *Client) IssueHandoff(ctx context.Context, intent string) (*apitype.HandoffCode, error) {
	var h apitype.HandoffCode
	return &h, c.do(ctx, "POST", pathOf("patron", "handoff_codes"), nil, apitype.HandoffRequest{Intent: intent}, &h)
}

// RedeemHandoff uses a handoff code once, at the desk or a kiosk, and does
// what it carried.
func (c *Client) RedeemHandoff(ctx context.Context, code string) (*apitype.HandoffResult, error) {
	var r apitype.HandoffResult
	return &r, c.do(ctx, "POST", pathOf("handoff_codes", "redemption"), nil, apitype.HandoffRedemption{Code: code}, &r)
}
