package client

import (
	"context"
	"slices"
	"time"

	"stacks/branch"
)

// Me is who the client's login is.
type Me struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Channel  string `json:"channel"`
	Branch   string `json:"library_id"`
	// Permissions are what the login's role may do, as the node says.
	Permissions []branch.Permission `json:"permissions"`
}

// CanOverride reports whether the login may override rule refusals.
func (m Me) CanOverride() bool { return m.Can(branch.PermOverride) }

// Can reports whether the login may do what perm names.
func (m Me) Can(perm branch.Permission) bool { return slices.Contains(m.Permissions, perm) }

// Me checks the client's login and says who it is; a wrong login is
// branch's bad_credentials.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var m Me
	return &m, c.do(ctx, "GET", pathOf("auth", "me"), nil, nil, &m)
}

// Health reports whether the node answers /healthz.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, "GET", "/healthz", nil, nil, nil)
}

// Libraries lists the branches of the registry.
func (c *Client) Libraries(ctx context.Context) ([]*branch.Library, error) {
	var ls []*branch.Library
	return ls, c.do(ctx, "GET", pathOf("libraries"), page(nil, 1000), nil, &ls)
}

// Library returns one branch.
func (c *Client) Library(ctx context.Context, id string) (*branch.Library, error) {
	var l branch.Library
	return &l, c.do(ctx, "GET", pathOf("libraries", id), nil, nil, &l)
}

// PeerStatus is the sync status of one peer as the node sees it.
type PeerStatus struct {
	URL         string    `json:"url"`
	Node        string    `json:"node_id,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Errors      int64     `json:"errors"`
	OpsBehind   uint64    `json:"ops_behind"`
	OpsAhead    uint64    `json:"ops_ahead"`
	OpsPulled   int64     `json:"ops_pulled"`
	OpsPushed   int64     `json:"ops_pushed"`
}

// Peers is the node's sync status per configured peer.
func (c *Client) Peers(ctx context.Context) ([]PeerStatus, error) {
	var ps []PeerStatus
	return ps, c.do(ctx, "GET", pathOf("cluster", "peers"), nil, nil, &ps)
}

// Conflicts lists the conflicts queue; status is "open", "resolved" or ""
// for both.
func (c *Client) Conflicts(ctx context.Context, status string) ([]*branch.Conflict, error) {
	q := page(nil, 1000)
	if status != "" {
		q.Set("status", status)
	}
	var cs []*branch.Conflict
	return cs, c.do(ctx, "GET", pathOf("conflicts"), q, nil, &cs)
}

// ResolveConflict records a resolution of one conflict.
func (c *Client) ResolveConflict(ctx context.Context, id string, r branch.Resolution) (*branch.Conflict, error) {
	var out branch.Conflict
	return &out, c.do(ctx, "POST", pathOf("conflicts", id, "resolution"), nil, r, &out)
}
