package simulations

import (
	"context"
	"time"

	"stacks/replicate"
)

// compactTick is an hour's compaction (Config.Compact). Central's view of
// the stable vector is modelled from every replica's vector as last seen
// up (a replica down holds compaction back at what it had): the minimum,
// which only grows. Central replicas compact with it; each branch with
// the stable vector its syncer learned from central's answers (the
// X-Stacks-Stable header), so the wire path is the real one.
func (s *sim) compactTick() {
	if s.lastVV == nil {
		s.lastVV, s.lastSeen = map[string]replicate.VersionVector{}, map[string]time.Time{}
	}
	for _, n := range s.nodes {
		if n.isUp {
			if vv, err := n.log.VersionVector(s.ctx); err == nil {
				s.lastVV[n.branch], s.lastSeen[n.branch] = vv, s.now
			}
		}
	}
	for _, r := range s.central.reps {
		if r.isUp {
			if vv, err := r.ol.VersionVector(s.ctx); err == nil {
				s.lastVV[r.label], s.lastSeen[r.label] = vv, s.now
			}
		}
	}
	if len(s.lastVV) < len(s.nodes)+len(s.central.reps) {
		return // not every replica seen yet
	}
	// A branch not seen up for longer than the horizon no longer holds
	// compaction back; once left out, it must re-bootstrap (until it is
	// replaced, its vector is not counted).
	if h := s.horizon(); h > 0 {
		for _, n := range s.nodes {
			if seen, ok := s.lastSeen[n.branch]; ok && !s.excluded[n.id] && s.now.Sub(seen) > h {
				s.excluded[n.id] = true
				s.res.Faults["past-horizon"]++
			}
		}
	}
	// One back and caught up with the stable vector (through a peer that
	// had not compacted past it) holds every op anyone compacted: it is
	// an ordinary replica again, and need not re-bootstrap.
	for _, n := range s.nodes {
		if s.excluded[n.id] && n.isUp && !ahead(s.stable, s.lastVV[n.branch]) {
			delete(s.excluded, n.id)
			n.needsRebootstrap, n.rejoining = false, false
			s.res.Faults["back-in-step-before-rebootstrap"]++
		}
	}
	var stable replicate.VersionVector
	for name, vv := range s.lastVV {
		if n := s.endpointByName(name); n >= 0 && n < len(s.nodes) && s.excluded[s.nodes[n].id] {
			continue
		}
		if stable == nil {
			stable = replicate.VersionVector{}
			stable.Merge(vv)
			continue
		}
		for o := range stable {
			stable[o] = min(stable[o], vv[o])
		}
	}
	if s.stable == nil {
		s.stable = replicate.VersionVector{}
	}
	s.stable.Merge(stable)
	for _, r := range s.central.reps {
		if r.isUp {
			s.compactLog(r.ol, s.stableVector(s.ctx))
		}
	}
	for _, n := range s.nodes {
		if n.isUp && n.syncer != nil {
			s.compactLog(n.log, n.syncer.Stable())
		}
	}
}

// compactLog compacts a replica's log in batches. A failure (an injected
// crash or a full disk in the commit) only leaves more ops behind.
func (s *sim) compactLog(l *replicate.Log, stable replicate.VersionVector) {
	for {
		res, err := l.Compact(s.ctx, stable, 500)
		s.res.Compacted += res.Ops
		if err != nil || !res.More {
			return
		}
	}
}

// stableVector is the stable vector central announces.
func (s *sim) stableVector(context.Context) replicate.VersionVector {
	out := replicate.VersionVector{}
	out.Merge(s.stable)
	return out
}

// staleAfterCompaction: a 410 from dst to branch from was for a stale
// vector: the branch now holds everything up to dst's compaction floors.
func (s *sim) staleAfterCompaction(from int, dst endpoint) bool {
	if from >= len(s.nodes) || !s.nodes[from].isUp || !dst.up() {
		return false
	}
	floors, err := dst.oplog().CompactedVector(s.ctx)
	if err != nil {
		return false
	}
	vv, err := s.nodes[from].log.VersionVector(s.ctx)
	if err != nil {
		return false
	}
	for o, c := range floors {
		if vv[o] < c {
			return false
		}
	}
	return true
}
