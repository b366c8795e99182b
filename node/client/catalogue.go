package client

import (
	"context"
	"net/url"

	"stacks/branch/domain"
)

// SearchBiblios finds titles by words of title, author or subject.
func (c *Client) SearchBiblios(ctx context.Context, term string, max int) ([]*domain.Biblio, error) {
	var bs []*domain.Biblio
	return bs, c.do(ctx, "GET", pathOf("biblios"), page(url.Values{"q": {term}}, max), nil, &bs)
}

// Availability is a title's copies and how many are available, per branch.
func (c *Client) Availability(ctx context.Context, biblioID string) (*domain.Availability, error) {
	var a domain.Availability
	return &a, c.do(ctx, "GET", pathOf("biblios", biblioID, "availability"), nil, nil, &a)
}

// ItemByBarcode finds one item; branch's item_not_found if none.
func (c *Client) ItemByBarcode(ctx context.Context, barcode string) (*domain.Item, error) {
	var is []*domain.Item
	if err := c.do(ctx, "GET", pathOf("items"), url.Values{"barcode": {barcode}}, nil, &is); err != nil {
		return nil, err
	}
	if len(is) == 0 {
		return nil, &Error{Status: 404, Code: domain.CodeItemNotFound, Detail: "No item has barcode " + barcode + "."}
	}
	return is[0], nil
}

// PlaceHold places a hold on a title (or one item) for a patron.
func (c *Client) PlaceHold(ctx context.Context, req domain.HoldRequest) (*domain.Hold, error) {
	var h domain.Hold
	return &h, c.do(ctx, "POST", pathOf("holds"), nil, req, &h)
}

// CancelHold cancels a hold.
func (c *Client) CancelHold(ctx context.Context, id, reason string) (*domain.Hold, error) {
	var h domain.Hold
	var q url.Values
	if reason != "" {
		q = url.Values{"reason": {reason}}
	}
	return &h, c.do(ctx, "DELETE", pathOf("holds", id), q, nil, &h)
}

// HoldShelf is this branch's hold shelf: holds ready, expired ones to
// clear, and items to pull for waiting holds.
func (c *Client) HoldShelf(ctx context.Context) (*domain.HoldShelf, error) {
	var s domain.HoldShelf
	return &s, c.do(ctx, "GET", pathOf("holds", "shelf"), nil, nil, &s)
}

// ExpireHolds expires the holds whose shelf time has passed and returns
// them.
func (c *Client) ExpireHolds(ctx context.Context) ([]*domain.Hold, error) {
	var hs []*domain.Hold
	return hs, c.do(ctx, "POST", pathOf("holds", "expire"), nil, nil, &hs)
}
