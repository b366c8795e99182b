package client

import (
	"context"
	"net/http"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// ClusterStatus reads the cluster's health from a central node.
func (c *Client) ClusterStatus(ctx context.Context) (*apitype.ClusterStatus, error) {
	var st apitype.ClusterStatus
	if err := c.do(ctx, http.MethodGet, "/api/v1/cluster/status", nil, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Raft reads a central node's Raft identity and state.
func (c *Client) Raft(ctx context.Context) (*apitype.RaftInfo, error) {
	var ri apitype.RaftInfo
	if err := c.do(ctx, http.MethodGet, "/api/v1/cluster/raft", nil, nil, &ri); err != nil {
		return nil, err
	}
	return &ri, nil
}

// JoinMember adds a central node to the cluster.
func (c *Client) JoinMember(ctx context.Context, m apitype.CentralMember) error {
	return c.do(ctx, http.MethodPost, "/api/v1/cluster/members", nil, m, nil)
}

// RemoveMember takes a central node out of the cluster.
func (c *Client) RemoveMember(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, pathOf("cluster", "members", id), nil, nil, nil)
}

// RegisterNode puts a node into the branch registry (central only).
func (c *Client) RegisterNode(ctx context.Context, n domain.RegistryNode) error {
	return c.do(ctx, http.MethodPut, pathOf("cluster", "nodes", n.NodeID), nil, n, nil)
}

// PutLibrary creates or updates a library in the registry.
func (c *Client) PutLibrary(ctx context.Context, l domain.Library) (*domain.Library, error) {
	var out domain.Library
	if err := c.do(ctx, http.MethodPut, pathOf("libraries", l.BranchID), nil, l, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
