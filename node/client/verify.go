package client

import (
	"context"
	"net/url"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// UnverifiedPatrons is the verification queue: self-registered patrons
// staff have not yet verified or rejected, oldest first.
func (c *Client) UnverifiedPatrons(ctx context.Context, max int) ([]*domain.Patron, error) {
	var ps []*domain.Patron
	return ps, c.do(ctx, "GET", pathOf("patrons"), page(url.Values{"verified": {"false"}}, max), nil, &ps)
}

// VerifyPatron verifies a self-registered patron into category.
func (c *Client) VerifyPatron(ctx context.Context, id, category string) (*domain.Patron, error) {
	var p domain.Patron
	return &p, c.do(ctx, "POST", pathOf("patrons", id, "verify"), nil, apitype.VerifyRequest{Category: category}, &p)
}
