package apitype

import (
	"time"

	"stacks/replicate/syncstate"
)

// PeerStatus is a node's sync status with one configured peer (GET
// /api/v1/cluster/peers). The syncer keeps it; this is the same type.
type PeerStatus = syncstate.PeerStatus

// ClusterState is what a node has (GET /api/v1/cluster/state): its id, the
// ops it holds per origin, and the hash of its state, which equal nodes
// share.
type ClusterState struct {
	NodeID        string            `json:"node_id"`
	VersionVector map[string]uint64 `json:"version_vector"`
	StateHash     string            `json:"state_hash"`
}

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
	// Compaction is the op log's compaction as the answering node runs
	// it; absent when it is off.
	Compaction *CompactionStatus `json:"compaction,omitempty"`
}

// CompactionStatus is the op log's compaction by causal stability on one
// central node.
type CompactionStatus struct {
	Enabled     bool    `json:"enabled"`
	HorizonDays float64 `json:"horizon_days"`
	// Stable is the cluster's stable vector: ops at or below it are held
	// by every registered replica heard from within the horizon.
	Stable map[string]uint64 `json:"stable_vector"`
	// Floors: every op of an origin up to its floor is compacted away here.
	Floors map[string]uint64 `json:"compacted_to"`
	// Excluded are replicas silent past the horizon; Rebootstrap those
	// told (when they pulled) that they must re-bootstrap.
	Excluded       []string   `json:"excluded"`
	Rebootstrap    []string   `json:"rebootstrap_needed"`
	CompactedOps   int64      `json:"compacted_ops"`
	CompactedBytes int64      `json:"compacted_payload_bytes"`
	Passes         int64      `json:"passes"`
	LastPass       *time.Time `json:"last_pass,omitempty"`
	LastPassMillis float64    `json:"last_pass_ms"`
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

// CentralMember is a central node joining the cluster (POST
// /api/v1/cluster/members).
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
