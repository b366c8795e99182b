package replicate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Frame versions are negotiated per request, so that nodes of a cluster
// upgraded one at a time keep syncing: a node lists the frame versions it
// reads (the X-Stacks-Frames header of the sync protocol), the other
// answers in the newest both know, and a node that lists nothing is a node
// from before negotiation, which reads exactly version 1.

// ErrFrameVersion is returned when two nodes share no frame version.
var ErrFrameVersion = errors.New("replicate: no frame version in common")

// FrameVersions lists the frame versions this build reads and writes,
// newest first. Version 1 is kept as long as a node of the cluster may
// speak only it. The op log's storage format is local to a node and
// independent of it: ops travel decoded.
func FrameVersions() []int { return []int{frameVersion} }

// FormatFrameVersions writes versions as a header value ("2, 1").
func FormatFrameVersions(vs []int) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ", ")
}

// NegotiateFrameVersion picks the newest frame version of this build that
// a peer listing theirs (a header value; empty: a node from before
// negotiation, which reads exactly version 1) reads.
func NegotiateFrameVersion(theirs string) (int, error) {
	if strings.TrimSpace(theirs) == "" {
		return 1, nil
	}
	var peer []int
	for _, f := range strings.Split(theirs, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > 255 {
			return 0, fmt.Errorf("%w: bad frame version list %q", ErrFrameVersion, theirs)
		}
		peer = append(peer, v)
	}
	for _, v := range FrameVersions() {
		if slices.Contains(peer, v) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: the peer reads frame versions %s, this node writes %s: upgrade the older node",
		ErrFrameVersion, FormatFrameVersions(peer), FormatFrameVersions(FrameVersions()))
}
