package simulations

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/snapshot"
)

// Replicas from snapshots (Config.NewReplica, Config.Rejoin). A branch's
// appliance is replaced by a new replica: a new node ID, registered at
// central (the old one retired), whose database is a snapshot of a live
// branch peer's (replicate/snapshot Make, then Install, as branchd
// --bootstrap-from does), which then syncs the ops after the snapshot and
// takes the branch's work. The old appliance's own ops must reach central
// before it goes: the checker keeps every retired node's acknowledged ops
// and checks at the end that every replica holds them.

// RebootstrapBugs are bugs the simulation can plant in re-bootstrapping:
// rebootstrap-drops-own-ops replaces the replica that returns after the
// horizon from a snapshot at once, without its pushing its own ops first.
var RebootstrapBugs = []string{"rebootstrap-drops-own-ops"}

// defaultHorizon is the compaction horizon of Config.Rejoin when none is
// given: short, so that a one-day run passes it.
const defaultHorizon = 3 * time.Hour

// retiredNode is a replaced appliance: what it acknowledged must live on.
type retiredNode struct {
	name  string
	id    replicate.NodeID
	acked uint64
}

// horizon is the compaction horizon in use (0: none).
func (s *sim) horizon() time.Duration {
	if s.cfg.Horizon > 0 {
		return s.cfg.Horizon
	}
	if s.cfg.Rejoin {
		return defaultHorizon
	}
	return 0
}

// planReplicas draws, at the start, which branches get a new replica and
// when (nothing is drawn unless asked for, so other runs replay as before).
func (s *sim) planReplicas() {
	s.replaceIdx, s.rejoinIdx = -1, -1
	if !s.cfg.NewReplica && !s.cfg.Rejoin {
		return
	}
	var cands []int
	for i := range s.nodes {
		if i != s.lateBranch {
			cands = append(cands, i)
		}
	}
	if s.cfg.Rejoin {
		k := s.r.IntN(len(cands))
		s.rejoinIdx = cands[k]
		cands = append(cands[:k], cands[k+1:]...)
		// Goes down on the first morning, from 07:00 to 10:00.
		s.rejoinAt = s.start.Add(time.Hour + time.Duration(s.r.IntN(180))*time.Minute)
	}
	if s.cfg.NewReplica {
		s.replaceIdx = cands[s.r.IntN(len(cands))]
		// Replaced on the first day, from 11:00 to 14:00.
		s.replaceAt = s.start.Add(5*time.Hour + time.Duration(s.r.IntN(180))*time.Minute)
	}
}

// replicaWork is the minute's work of replacing appliances.
func (s *sim) replicaWork() {
	if s.rejoinIdx >= 0 && !s.rejoinAt.IsZero() && !s.now.Before(s.rejoinAt) {
		// The branch goes down for longer than the horizon, at a moment
		// it holds ops central lacks (waiting up to three hours for one).
		n := s.nodes[s.rejoinIdx]
		if n.isUp && !n.diskFull && (s.unsynced(n) || s.now.Sub(s.rejoinAt) > 3*time.Hour) {
			n.stop()
			n.crashPending, n.rejoining = false, true
			n.restartAt = s.now.Add(s.horizon() + 2*time.Hour + time.Duration(s.r.IntN(60))*time.Minute)
			s.rejoinAt = time.Time{}
			s.res.Faults["down-past-horizon"]++
		}
	}
	if s.replaceIdx >= 0 && !s.replaceAt.IsZero() && !s.now.Before(s.replaceAt) {
		s.nodes[s.replaceIdx].draining = true // takes no more work; replaced once central holds its ops
		s.replaceAt = time.Time{}
	}
	for i, n := range s.nodes {
		switch {
		case !n.isUp || !s.centralHolds(n):
		case n.draining:
			s.replace(i, false)
		case n.needsRebootstrap:
			s.replace(i, true)
		}
	}
}

// unsynced: n holds ops of its own no central replica holds.
func (s *sim) unsynced(n *simNode) bool {
	vv, err := n.log.VersionVector(s.ctx)
	return err == nil && !s.centralHolds(n) && vv[n.id] > 0
}

// centralHolds: a central replica holds every op of n's own.
func (s *sim) centralHolds(n *simNode) bool {
	vv, err := n.log.VersionVector(s.ctx)
	if err != nil {
		return false
	}
	for _, r := range s.central.reps {
		if !r.isUp {
			continue
		}
		if cv, err := r.ol.VersionVector(s.ctx); err == nil && cv[n.id] >= vv[n.id] {
			return true
		}
	}
	return false
}

// snapshotScrub is what a snapshot leaves out, as branchd's (node's
// snapshotScrub): the node's own payment dealings, central's Raft
// bookkeeping, and node_meta.
func snapshotScrub() snapshot.Scrub {
	return snapshot.Scrub{ClearTables: []string{"online_payments"}, DropTables: []string{"raft_applied", "central_members"},
		DropComponents: []string{"central"}, KeepMeta: []string{"demo"}}
}

// snapshotPeer picks a live branch other than i, in step with the
// cluster, to take a snapshot of; nil if none is.
func (s *sim) snapshotPeer(i int) *simNode {
	var ps []*simNode
	for j, p := range s.nodes {
		if j != i && p.isUp && !p.draining && !p.needsRebootstrap && !p.rejoining && !s.excluded[p.id] {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return ps[s.r.IntN(len(ps))]
}

// replace replaces branch i's appliance by a new replica from a snapshot
// of a live peer; false if it cannot yet (no central leader to register
// it, no live peer), to be tried again.
func (s *sim) replace(i int, rebootstrap bool) bool {
	old := s.nodes[i]
	l := s.central.leader()
	peer := s.snapshotPeer(i)
	if l == nil || peer == nil {
		return false
	}
	if old.successor == 0 {
		old.successor = replicate.NodeID(s.r.Uint64() | 1)
	}
	ctx := domain.WithActor(s.ctx, domain.Actor{ID: "central-it", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	for _, reg := range []domain.RegistryNode{
		{NodeID: old.successor.String(), BranchID: old.branch, Role: domain.NodeRoleBranch, Name: old.branch},
		{NodeID: old.id.String(), BranchID: old.branch, Role: domain.NodeRoleBranch, Name: old.branch, Retired: true},
	} {
		err := s.registerAt(l, ctx, reg)
		s.res.CentralCommands++
		switch {
		case err == nil:
		case errors.Is(err, errNoLeader), errors.Is(err, errNotCommitted), errors.Is(err, errReplicaDown):
			s.res.CentralUnavailable++
			return false
		default:
			s.fail("central %s: registering %s's new replica failed: %v", l.label, old.branch, err)
			old.draining, old.needsRebootstrap = false, false
			return false
		}
	}
	s.replacements++
	dir := filepath.Join(s.dir, fmt.Sprintf("node%02d-r%d", i, s.replacements))
	bdir := filepath.Join(dir, "bootstrap")
	dbPath := filepath.Join(dir, "stacks.db")
	err := os.MkdirAll(bdir, 0o750)
	if err == nil {
		_, err = snapshot.Make(s.ctx, peer.db, filepath.Join(bdir, snapshot.PartFile), snapshotScrub())
	}
	var vv replicate.VersionVector
	if err == nil {
		vv, err = snapshot.Install(s.ctx, bdir, dbPath, snapshotScrub(), map[string]string{"bootstrap_peer_node": peer.id.String()})
	}
	if err == nil {
		err = os.RemoveAll(bdir)
	}
	if err != nil {
		s.fail("%s: a snapshot of %s for a new replica: %v", old.branch, peer.branch, err)
		old.draining, old.needsRebootstrap = false, false
		return false
	}
	old.stop()
	// Duplicates the old appliance sent are still on the wire: they die
	// with it (its requests in flight died in stop; requests to it reach
	// the new appliance, as to the branch's host name).
	keep := s.net.inflight[:0]
	for _, m := range s.net.inflight {
		if m.from != i || m.task != nil {
			keep = append(keep, m)
		}
	}
	s.net.inflight = keep
	s.retired = append(s.retired, retiredNode{name: fmt.Sprintf("%s's retired node %s", old.branch, old.id), id: old.id, acked: old.acked})
	var seed [32]byte
	for k := range seed {
		seed[k] = byte(s.r.Uint32())
	}
	n := &simNode{s: s, idx: i, id: old.successor, branch: old.branch, dir: dir, clock: &simClock{sim: s, skew: old.clock.skew},
		rnd: rand.NewChaCha8(seed)}
	if err := n.open(); err != nil {
		s.fail("%s: opening the new replica from the snapshot: %v", old.branch, err)
		return false
	}
	s.nodes[i] = n
	delete(s.lastVV, old.branch)
	delete(s.lastSeen, old.branch)
	if have, err := n.log.VersionVector(s.ctx); err != nil || have.String() != vv.String() {
		s.fail("%s: the new replica's vector %v is not its snapshot's %v (%v)", n.branch, have, vv, err)
	}
	if rebootstrap {
		s.res.Rebootstrapped++
	} else {
		s.res.NewReplicas++
	}
	s.lg.Info("branch appliance replaced from a snapshot", "branch", n.branch, "old", old.id, "new", n.id, "peer", peer.branch,
		"rebootstrap", rebootstrap, "vector", vv.String())
	return true
}

// registerAt registers a node through a central replica's service.
func (s *sim) registerAt(r *centralReplica, ctx context.Context, n domain.RegistryNode) error {
	return r.svc.RegisterNode(ctx, n)
}

// pendingReplacement: n is to be replaced (healing does it at once).
func (s *sim) pendingReplacement(n *simNode) bool {
	return n.draining || n.needsRebootstrap || n.rejoining || s.excluded[n.id]
}

// healReplacements, at healing, replaces what is still to be replaced:
// its own ops are pushed to the central leader first (unless the planted
// bug skips it).
func (s *sim) healReplacements(l *centralReplica) error {
	for i, n := range s.nodes {
		if !s.pendingReplacement(n) {
			continue
		}
		rebootstrap := !n.draining
		if !(rebootstrap && s.cfg.PlantBug == "rebootstrap-drops-own-ops") {
			if _, err := s.net.transfer(i, l.ep); err != nil {
				return err
			}
		}
		if rebootstrap {
			s.res.Faults["rebootstrapped-at-healing"]++
		} else {
			s.res.Faults["replaced-at-healing"]++
		}
		if !s.replace(i, rebootstrap) {
			s.fail("%s: could not be replaced from a snapshot at healing", n.branch)
		}
	}
	return nil
}

// checkRetired: every replica holds what the retired appliances
// acknowledged.
func (s *sim) checkRetired(name string, vv replicate.VersionVector) {
	for _, r := range s.retired {
		if vv[r.id] < r.acked {
			s.fail("%s has %d of %s's ops; %d were acknowledged", name, vv[r.id], r.name, r.acked)
		}
	}
}
