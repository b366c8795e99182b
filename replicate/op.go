package replicate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// NodeID identifies a node (an origin of ops). It is random, chosen at first
// start and stored.
type NodeID uint64

func (n NodeID) String() string { return fmt.Sprintf("%016x", uint64(n)) }

// ParseNodeID parses the 16-hex-digit form of a NodeID.
func ParseNodeID(s string) (NodeID, error) {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("replicate: bad node id %q", s)
	}
	return NodeID(v), nil
}

// Op is one immutable change: who made it, where, when, and what.
type Op struct {
	Origin  NodeID    `json:"origin"`
	Counter uint64    `json:"counter"`
	HLC     Timestamp `json:"hlc"`
	Kind    string    `json:"kind"`
	Payload []byte    `json:"payload"`
	Actor   string    `json:"actor,omitempty"`
	Channel string    `json:"channel,omitempty"`
}

// ID is the op's identity, "origin:counter".
func (o Op) ID() string { return fmt.Sprintf("%s:%d", o.Origin, o.Counter) }

// Stamp is the op's position in the total order used for last-writer-wins
// merges: by HLC, ties broken by origin. Stamps compare as strings.
func (o Op) Stamp() Stamp { return MakeStamp(o.HLC, o.Origin) }

// Stamp orders writes: HLC first, then origin. Its string form is fixed
// width so that string comparison is stamp comparison.
type Stamp string

// MakeStamp builds a stamp.
func MakeStamp(t Timestamp, origin NodeID) Stamp {
	return Stamp(fmt.Sprintf("%016x%016x", uint64(t), uint64(origin)))
}

// VersionVector maps each origin to the highest counter such that every op
// of that origin up to it is present.
type VersionVector map[NodeID]uint64

// Covers reports whether the vector includes the op.
func (v VersionVector) Covers(o Op) bool { return v[o.Origin] >= o.Counter }

// String is a stable text form, "origin:counter,..." sorted by origin.
func (v VersionVector) String() string {
	keys := make([]NodeID, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%d", k, v[k])
	}
	return b.String()
}

// MarshalJSON encodes the vector with hex origin keys.
func (v VersionVector) MarshalJSON() ([]byte, error) {
	keys := make([]NodeID, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", k.String(), v[k])
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}
