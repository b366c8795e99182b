package client

import (
	"context"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// Me checks the client's login and says who it is; a wrong login is
// branch's bad_credentials.
func (c *Client) Me(ctx context.Context) (*apitype.Me, error) {
	var m apitype.Me
	return &m, c.do(ctx, "GET", pathOf("auth", "me"), nil, nil, &m)
}

// Health reports whether the node answers /healthz.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, "GET", "/healthz", nil, nil, nil)
}

// Libraries lists the branches of the registry.
func (c *Client) Libraries(ctx context.Context) ([]*domain.Library, error) {
	var ls []*domain.Library
	return ls, c.do(ctx, "GET", pathOf("libraries"), page(nil, 1000), nil, &ls)
}

// Library returns one branch.
func (c *Client) Library(ctx context.Context, id string) (*domain.Library, error) {
	var l domain.Library
	return &l, c.do(ctx, "GET", pathOf("libraries", id), nil, nil, &l)
}

// Peers is the node's sync status per configured peer.
func (c *Client) Peers(ctx context.Context) ([]apitype.PeerStatus, error) {
	var ps []apitype.PeerStatus
	return ps, c.do(ctx, "GET", pathOf("cluster", "peers"), nil, nil, &ps)
}

// Conflicts lists the conflicts queue; status is "open", "resolved" or ""
// for both.
func (c *Client) Conflicts(ctx context.Context, status string) ([]*domain.Conflict, error) {
	q := page(nil, 1000)
	if status != "" {
		q.Set("status", status)
	}
	var cs []*domain.Conflict
	return cs, c.do(ctx, "GET", pathOf("conflicts"), q, nil, &cs)
}

// ResolveConflict records a resolution of one conflict.
func (c *Client) ResolveConflict(ctx context.Context, id string, r domain.Resolution) (*domain.Conflict, error) {
	var out domain.Conflict
	return &out, c.do(ctx, "POST", pathOf("conflicts", id, "resolution"), nil, r, &out)
}
