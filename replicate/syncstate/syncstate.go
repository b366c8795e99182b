// Package syncstate holds what a node reports of its sync with each peer.
// It imports nothing but the standard library, so an API client can decode
// a node's answer without linking the op log's storage.
package syncstate

import "time"

// PeerStatus is what a node knows of its sync with one peer: the syncer in
// replicate/peersync keeps it, GET /api/v1/cluster/peers serves it.
type PeerStatus struct {
	URL         string    `json:"url"`
	Node        string    `json:"node_id,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Errors      int64     `json:"errors"`
	// OpsBehind is how many of the peer's ops this node lacked at the
	// last sync; OpsAhead how many of ours the peer lacked.
	OpsBehind     uint64 `json:"ops_behind"`
	OpsAhead      uint64 `json:"ops_ahead"`
	OpsPulled     int64  `json:"ops_pulled"`
	OpsPushed     int64  `json:"ops_pushed"`
	BytesIn       int64  `json:"bytes_in"`
	BytesOut      int64  `json:"bytes_out"`
	RejectedBatch int64  `json:"rejected_batches"`
	// Rebootstrap, when set, says this node lacks ops the peer has
	// compacted away (it was away past the compaction horizon): its own
	// ops were pushed, and it must start again from a snapshot. The text
	// says what to run.
	Rebootstrap string `json:"rebootstrap,omitempty"`
}
