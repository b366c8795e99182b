package client

import (
	"context"
	"net/http"
	"time"

	"stacks/branch"
)

// ClusterStatus is the health of a whole library system as one central
// node sees it (GET /api/v1/cluster/status): every central node and every
// branch in the registry, with what is wrong marked.
type ClusterStatus struct {
	// Node is the node that answered, Role its role.
	Node    string    `json:"node"`
	Role    string    `json:"role"`
	Cluster string    `json:"cluster,omitempty"`
	At      time.Time `json:"at"`
	// Healthy is false when anything below has problems.
	Healthy  bool           `json:"healthy"`
	Central  []CentralNode  `json:"central"`
	Branches []BranchHealth `json:"branches"`
	// ConflictsOpen counts open conflicts in the whole system.
	ConflictsOpen int `json:"conflicts_open"`
}

// CentralNode is one member of the central Raft cluster.
type CentralNode struct {
	ID           string   `json:"id"`
	URL          string   `json:"url"`
	Reachable    bool     `json:"reachable"`
	State        string   `json:"state"` // leader, follower, candidate, shutdown
	Term         uint64   `json:"term"`
	LastIndex    uint64   `json:"last_index"`
	CommitIndex  uint64   `json:"commit_index"`
	AppliedIndex uint64   `json:"applied_index"`
	LeaderID     string   `json:"leader_id"`
	Peers        []string `json:"peers"`
	Problems     []string `json:"problems"`
}

// BranchHealth is one registered branch node as the central site sees it.
type BranchHealth struct {
	LibraryID string `json:"library_id"`
	Name      string `json:"name"`
	NodeID    string `json:"node_id"`
	Retired   bool   `json:"retired"`
	// LastContact is the latest sync with any central node; nil: never.
	LastContact *time.Time `json:"last_contact"`
	// Via is the central node it last synced with.
	Via string `json:"via,omitempty"`
	// OpsBehind is how many ops central holds that the branch had not
	// received at its last pull.
	OpsBehind     uint64   `json:"ops_behind"`
	ConflictsOpen int      `json:"conflicts_open"`
	Version       string   `json:"version,omitempty"`
	Problems      []string `json:"problems"`
}

// ClusterStatus reads the cluster's health from a central node.
func (c *Client) ClusterStatus(ctx context.Context) (*ClusterStatus, error) {
	var st ClusterStatus
	if err := c.do(ctx, http.MethodGet, "/api/v1/cluster/status", nil, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// CentralMember is a central node joining the cluster.
type CentralMember struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	URL      string `json:"url"`
	SyncURL  string `json:"sync_url,omitempty"`
}

// RaftInfo is one central node's own Raft view (GET /api/v1/cluster/raft).
type RaftInfo struct {
	Member CentralMember `json:"member"`
	State  string        `json:"state"`
	Leader string        `json:"leader_id"`
	Term   uint64        `json:"term"`
}

// Raft reads a central node's Raft identity and state.
func (c *Client) Raft(ctx context.Context) (*RaftInfo, error) {
	var ri RaftInfo
	if err := c.do(ctx, http.MethodGet, "/api/v1/cluster/raft", nil, nil, &ri); err != nil {
		return nil, err
	}
	return &ri, nil
}

// JoinMember adds a central node to the cluster.
func (c *Client) JoinMember(ctx context.Context, m CentralMember) error {
	return c.do(ctx, http.MethodPost, "/api/v1/cluster/members", nil, m, nil)
}

// RemoveMember takes a central node out of the cluster.
func (c *Client) RemoveMember(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, pathOf("cluster", "members", id), nil, nil, nil)
}

// RegistryNode is a node of the branch registry.
type RegistryNode struct {
	NodeID   string `json:"node_id"`
	BranchID string `json:"library_id"`
	Role     string `json:"role"`
	Name     string `json:"name"`
	Retired  bool   `json:"retired"`
}

// RegisterNode puts a node into the branch registry (central only).
func (c *Client) RegisterNode(ctx context.Context, n RegistryNode) error {
	return c.do(ctx, http.MethodPut, pathOf("cluster", "nodes", n.NodeID), nil, n, nil)
}

// PutLibrary creates or updates a library in the registry.
func (c *Client) PutLibrary(ctx context.Context, l branch.Library) (*branch.Library, error) {
	var out branch.Library
	if err := c.do(ctx, http.MethodPut, pathOf("libraries", l.BranchID), nil, l, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
