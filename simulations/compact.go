package simulations

import (
	"context"

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
		s.lastVV = map[string]replicate.VersionVector{}
	}
	for _, n := range s.nodes {
		if n.isUp {
			if vv, err := n.log.VersionVector(s.ctx); err == nil {
				s.lastVV[n.branch] = vv
			}
		}
	}
	for _, r := range s.central.reps {
		if r.isUp {
			if vv, err := r.ol.VersionVector(s.ctx); err == nil {
				s.lastVV[r.label] = vv
			}
		}
	}
	if len(s.lastVV) < len(s.nodes)+len(s.central.reps) {
		return // not every replica seen yet
	}
	var stable replicate.VersionVector
	for _, vv := range s.lastVV {
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
