package simulations

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"stacks/branch"
	"stacks/replicate"
	"stacks/replicate/central"
	"stacks/replicate/peersync"
)

// The central site in the simulation: three replicas that are one logical
// origin, each with its own SQLite op log, kept equal by a model of Raft
// (hashicorp/raft runs on real goroutines and timers, which a seeded clock
// cannot drive). The model keeps what matters for safety: terms, votes
// granted only to a candidate whose log is at least as up to date, a
// leader that appends and commits an entry of its term once a majority
// holds it, followers that drop a conflicting suffix, entries applied in
// index order by the real FSM code (central.StateMachine) exactly once each,
// pushes to a follower forwarded to the leader. Message timing inside the
// cluster is not modelled (Raft's round trips are milliseconds against the
// simulation's one-minute step); what can fail is: a replica is down, a
// link is cut (the simulated network's partitions), a leader crashes in the
// middle of a proposal, a replica crashes just before committing an apply.

var (
	// errNoLeader: the replica a push or command reached knows no leader
	// it can reach (an election is due, or there is no majority).
	errNoLeader = errors.New("simulated central: no reachable leader")
	// errNotCommitted: the leader appended the entry but no majority holds
	// it (yet); the caller is not acknowledged and retries later.
	errNotCommitted = errors.New("simulated central: entry not committed")
	// errReplicaDown: the replica died while the request was in flight.
	errReplicaDown = errors.New("simulated central: replica down")
)

// raftEntry is one entry of the replicated log. Entries are immutable and
// shared between the replicas' logs.
type raftEntry struct {
	index, term uint64
	noop        bool
	data        []byte
}

// centralReplica is one central node: persistent Raft state (kept across
// crashes, as the raft-wal log is) and a database with its op log.
type centralReplica struct {
	c     *centralCluster
	idx   int // within the cluster
	ep    int // endpoint in the network
	label string
	dir   string
	clock *simClock
	rnd   *rand.ChaCha8

	// Persistent Raft state.
	term     uint64
	votedFor int // -1: none in this term
	log      []*raftEntry
	base     uint64 // index of the last entry compacted away (log[0] is base+1)
	baseTerm uint64

	// Volatile.
	commit   uint64
	leader   bool
	leaderOf int   // the leader this replica last heard from, -1 none
	match    []int // leader only: highest index each replica is known to hold
	isUp     bool

	restartAt    time.Time
	crashPending bool

	db  *replicate.DB
	ol  *replicate.Log
	svc *branch.Service
	sm  *central.StateMachine
}

// centralCluster is the simulated central site.
type centralCluster struct {
	s      *sim
	origin replicate.NodeID
	reps   []*centralReplica

	// committed records every committed entry (from committedBase+1) as
	// first applied; any replica applying another entry at an index is a
	// safety violation.
	committed     []*raftEntry
	committedBase uint64
	// acked is the highest entry whose proposer was answered success.
	ackedIndex, ackedTerm uint64
	leaderChanges         int
	elections             int
	lastLeader            int

	// pending is the entry a proposer waits for; pendingRes its result at
	// each replica that applied it.
	pending    uint64
	pendingRes map[int]central.EntryResult

	slowRep         int // a follower that misses most appends until slowUntil
	slowUntil       time.Time
	partitionHealAt time.Time
	cutLeader       int  // endpoint cut off from the other replicas until partitionHealAt
	crashLeaderNext bool // the leader dies in its next proposal
}

func (s *sim) newCentral() (*centralCluster, error) {
	c := &centralCluster{s: s, origin: central.Origin("sim"), lastLeader: -1}
	for k := 0; k < 3; k++ {
		var seed [32]byte
		for i := range seed {
			seed[i] = byte(s.r.Uint32())
		}
		r := &centralReplica{c: c, idx: k, ep: s.cfg.Branches + k, label: centralLabel(k),
			dir: filepath.Join(s.dir, fmt.Sprintf("central%d", k+1)), clock: &simClock{sim: s}, rnd: rand.NewChaCha8(seed),
			votedFor: -1, leaderOf: -1}
		if err := os.MkdirAll(r.dir, 0o750); err != nil {
			return nil, err
		}
		if err := r.open(); err != nil {
			return nil, err
		}
		c.reps = append(c.reps, r)
	}
	return c, nil
}

func (r *centralReplica) open() error {
	ctx := context.Background()
	s := r.c.s
	applier, err := s.applier()
	if err != nil {
		return err
	}
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(r.dir, "stacks.db"), append(branch.Migrations(capabilities()...), central.Migrations()...),
		replicate.DBOptions{NoSync: true})
	if err != nil {
		return err
	}
	var svc *branch.Service
	ol := replicate.NewLog(db, replicate.Config{Node: r.c.origin, Clock: r.clock, MaxBatch: 1, Logger: s.lg, Proposer: r,
		Admit: func(op replicate.Op) error {
			if svc == nil {
				return nil
			}
			return svc.Admit(op)
		},
		BeforeCommit: func() error {
			if r.crashPending {
				r.crashPending = false
				return errCrash
			}
			return nil
		}}, applier)
	if err := ol.Open(ctx); err != nil {
		db.Close()
		return err
	}
	svc, err = branch.NewService(ol, branch.Config{Branch: "CENTRAL", Location: time.UTC, Clock: r.clock, Rand: chacha{r.rnd}, Logger: s.lg, PINCost: 4,
		Capabilities: capabilities()})
	if err != nil {
		ol.Close()
		db.Close()
		return err
	}
	sm := central.NewStateMachine(ol, db, s.lg)
	sm.SetDecider(digitalDecider, decideDigital)
	sm.SetDecider(noticesDecider, decideNotices)
	sm.SetDecider(eventsDecider, decideEvents)
	if _, err := sm.LoadApplied(ctx); err != nil {
		ol.Close()
		db.Close()
		return err
	}
	r.db, r.ol, r.svc, r.sm, r.isUp = db, ol, svc, sm, true
	srv := peersync.NewServer(ol, s.validOp, s.lg)
	if s.cfg.Compact {
		srv.SetStable(s.stableVector)
	}
	s.net.hosts.HandleServer(r.label, srv)
	return nil
}

// centralLabel names central replica k (its host on the network).
func centralLabel(k int) string { return fmt.Sprintf("C%d", k+1) }

// stop kills the replica's process: the database and the Raft log and
// vote stay on disk; what it knew of commits and leadership is gone.
func (r *centralReplica) stop() {
	if r.ol != nil {
		r.ol.Close()
		r.db.Close()
		r.ol, r.db, r.svc, r.sm = nil, nil, nil, nil
	}
	r.isUp, r.leader, r.leaderOf, r.commit, r.match, r.crashPending = false, false, -1, 0, nil, false
}

func (r *centralReplica) crash() {
	r.stop()
	r.restartAt = r.c.s.now.Add(time.Duration(5+r.c.s.r.IntN(90)) * time.Minute)
}

func (r *centralReplica) lastIndex() uint64 { return r.base + uint64(len(r.log)) }

func (r *centralReplica) termAt(i uint64) uint64 {
	switch {
	case i == r.base:
		return r.baseTerm
	case i < r.base || i > r.lastIndex():
		panic(fmt.Sprintf("simulated central %s: no entry %d (has %d..%d)", r.label, i, r.base+1, r.lastIndex()))
	}
	return r.log[i-r.base-1].term
}

func (r *centralReplica) lastTerm() uint64 { return r.termAt(r.lastIndex()) }

// linked reports whether two replicas can talk now.
func (c *centralCluster) linked(a, b *centralReplica) bool {
	return a.isUp && b.isUp && (a == b || c.s.net.linked(a.ep, b.ep) && c.s.net.linked(b.ep, a.ep))
}

func (c *centralCluster) majority() int { return len(c.reps)/2 + 1 }

// leader is the replica that leads now, or nil. Two replicas may both
// believe they lead (an old leader cut off in an old term); the one of the
// highest term is the leader.
func (c *centralCluster) leader() *centralReplica {
	var best *centralReplica
	for _, r := range c.reps {
		if r.isUp && r.leader && (best == nil || r.term > best.term) {
			best = r
		}
	}
	return best
}

// reachable counts the replicas (itself included) r can talk to.
func (c *centralCluster) reachable(r *centralReplica) int {
	n := 0
	for _, o := range c.reps {
		if c.linked(r, o) {
			n++
		}
	}
	return n
}

// stepDown makes r a follower of term.
func (r *centralReplica) stepDown(term uint64) {
	if term > r.term {
		r.term, r.votedFor = term, -1
	}
	r.leader, r.match = false, nil
}

// appendTo is AppendEntries from leader l to follower f: f's log becomes
// l's from their last agreeing entry on, and f learns l's commit index.
func (c *centralCluster) appendTo(l, f *centralReplica) {
	if l == f || !c.linked(l, f) {
		return
	}
	if f.term > l.term {
		l.stepDown(f.term) // the answer carries a newer term: a newer leader exists
		return
	}
	if f.term < l.term || f.leader {
		f.stepDown(l.term)
	}
	f.leaderOf = l.idx
	lo := max(l.base, f.base)
	i := min(l.lastIndex(), f.lastIndex())
	for i > lo && f.termAt(i) != l.termAt(i) {
		i--
	}
	if i > f.lastIndex() || (i > lo && f.termAt(i) != l.termAt(i)) {
		panic("simulated central: no agreeing entry")
	}
	// Drop f's entries after i that conflict with l's and take l's.
	if l.lastIndex() > i || f.lastIndex() > i {
		keep := f.log[:i-f.base]
		nl := make([]*raftEntry, 0, len(keep)+int(l.lastIndex()-i))
		nl = append(nl, keep...)
		nl = append(nl, l.log[i-l.base:]...)
		if f.commit > i && f.lastIndex() > i && f.termAt(i+1) != l.termAt(min(i+1, l.lastIndex())) {
			c.s.fail("central %s would drop committed entry %d", f.label, i+1)
		}
		f.log = nl
	}
	l.match[f.idx] = int(l.lastIndex())
	f.commit = max(f.commit, min(l.commit, f.lastIndex()))
}

// replicate sends l's log to every follower it can reach, advances its
// commit index by the majority rule (only an entry of its own term commits
// by counting), sends the new commit index, and applies at the leader;
// followers apply at the next heartbeat (tick), many entries in one
// transaction, as hashicorp/raft's batching FSM does.
func (c *centralCluster) replicate(l *centralReplica) {
	if !l.isUp || !l.leader {
		return
	}
	// A slow follower (a congested link, a slow disk) misses most rounds,
	// so committed entries are on a bare majority.
	slow := -1
	if c.s.now.Before(c.slowUntil) && c.s.r.IntN(4) != 0 {
		slow = c.slowRep
	}
	for _, f := range c.reps {
		if f.idx != slow {
			c.appendTo(l, f)
		}
	}
	l.match[l.idx] = int(l.lastIndex())
	for n := l.lastIndex(); n > l.commit && l.termAt(n) == l.term; n-- {
		k := 0
		for _, m := range l.match {
			if uint64(m) >= n {
				k++
			}
		}
		if k >= c.majority() {
			l.commit = n
			break
		}
	}
	for _, f := range c.reps {
		if f.idx != slow {
			c.appendTo(l, f) // the commit index travels with the next append
		}
	}
	c.apply(l)
}

// apply applies r's committed entries it has not applied yet, with the
// real FSM; a crash injected before the commit kills the replica.
func (c *centralCluster) apply(r *centralReplica) []central.EntryResult {
	if !r.isUp {
		return nil
	}
	from := r.sm.Applied()
	if from < r.base {
		c.s.fail("central %s applied %d but its log starts at %d", r.label, from, r.base+1)
		return nil
	}
	if r.commit <= from {
		return nil
	}
	if r.commit > r.lastIndex() {
		// Only a broken Raft gets here (a planted bug): the entries it
		// counted as committed were cut from its log.
		c.s.fail("central %s has commit index %d beyond its log (last %d)", r.label, r.commit, r.lastIndex())
		r.commit = r.lastIndex()
		if r.commit <= from {
			return nil
		}
	}
	entries := make([]central.Entry, 0, r.commit-from)
	for i := from + 1; i <= r.commit; i++ {
		e := r.log[i-r.base-1]
		c.checkCommitted(r, e)
		entries = append(entries, central.Entry{Index: e.index, Term: e.term, Noop: e.noop, Data: e.data})
	}
	res := r.sm.Apply(entries)
	if r.sm.Applied() < r.commit {
		for _, x := range res {
			if x.Err != nil && errors.Is(x.Err, errCrash) {
				c.s.res.Faults["central-crash-in-apply"]++
				r.crash()
				return nil
			}
		}
		c.s.fail("central %s could not apply entries %d..%d: %v", r.label, from+1, r.commit, firstErr(res))
		return nil
	}
	if c.pending != 0 {
		for i, e := range entries {
			if e.Index == c.pending && !res[i].Skipped {
				c.pendingRes[r.idx] = res[i]
			}
		}
	}
	return res
}

func firstErr(res []central.EntryResult) error {
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// checkCommitted: an index, once committed, holds the same entry on every
// replica for ever.
func (c *centralCluster) checkCommitted(r *centralReplica, e *raftEntry) {
	if e.index <= c.committedBase {
		return
	}
	k := e.index - c.committedBase - 1
	switch {
	case k < uint64(len(c.committed)):
		if got := c.committed[k]; got != e {
			c.s.fail("central %s applies entry %d of term %d; entry %d of term %d was committed there", r.label, e.index, e.term, got.index, got.term)
		}
	case k == uint64(len(c.committed)):
		c.committed = append(c.committed, e)
	default:
		c.s.fail("central %s applies entry %d before entry %d", r.label, e.index, c.committedBase+uint64(len(c.committed))+1)
	}
}

// compact drops the entries every replica has applied (Raft's log
// compaction after a snapshot), so a long run does not keep every op in
// memory.
func (c *centralCluster) compact() {
	low := uint64(1<<63 - 1)
	for _, r := range c.reps {
		if !r.isUp {
			return // a replica down may need them when it is back
		}
		low = min(low, r.sm.Applied(), r.lastIndex()) // (a log shorter than what was applied is a lost commit, already reported)
	}
	for _, r := range c.reps {
		if low > r.base {
			r.baseTerm = r.termAt(low)
			r.log = append([]*raftEntry(nil), r.log[low-r.base:]...)
			r.base = low
		}
	}
	if low > c.committedBase {
		c.committed = append([]*raftEntry(nil), c.committed[low-c.committedBase:]...)
		c.committedBase = low
	}
}

// elect runs an election if no leader has a majority: replicas time out
// in an order drawn from the seed; a candidate wins with the votes of a
// majority, each voter granting one vote per term and only to a candidate
// whose log is at least as up to date as its own.
func (c *centralCluster) elect() {
	s := c.s
	for _, r := range c.reps {
		if r.isUp && r.leader && c.reachable(r) < c.majority() {
			r.stepDown(r.term) // its lease ran out: it steps down
			s.res.Faults["central-leader-stepped-down"]++
		}
	}
	if c.leader() != nil {
		return
	}
	order := s.r.Perm(len(c.reps))
	for _, k := range order {
		cand := c.reps[k]
		if !cand.isUp || c.reachable(cand) < c.majority() {
			continue
		}
		cand.term++
		cand.votedFor, cand.leader, cand.leaderOf = cand.idx, false, -1
		votes := 1
		for _, v := range c.reps {
			if v == cand || !c.linked(cand, v) {
				continue
			}
			if cand.term > v.term {
				v.stepDown(cand.term)
			}
			upToDate := cand.lastTerm() > v.lastTerm() || cand.lastTerm() == v.lastTerm() && cand.lastIndex() >= v.lastIndex()
			upToDate = upToDate || s.cfg.PlantBug == "raft-any-vote"
			if v.term == cand.term && (v.votedFor == -1 || v.votedFor == cand.idx) && upToDate {
				v.votedFor = cand.idx
				votes++
			}
		}
		c.elections++
		if votes < c.majority() {
			s.res.Faults["central-election-lost"]++
			continue
		}
		c.becomeLeader(cand)
		return
	}
}

func (c *centralCluster) becomeLeader(l *centralReplica) {
	s := c.s
	// Leader completeness: the new leader holds every acknowledged entry.
	if c.ackedIndex > 0 && (l.lastIndex() < c.ackedIndex || c.ackedIndex >= l.base && l.termAt(c.ackedIndex) != c.ackedTerm) {
		s.fail("central %s won term %d without acknowledged entry %d (term %d)", l.label, l.term, c.ackedIndex, c.ackedTerm)
	}
	l.leader, l.leaderOf = true, l.idx
	l.match = make([]int, len(c.reps))
	for _, r := range c.reps {
		if r.isUp && r != l && r.term <= l.term {
			r.leaderOf = l.idx
		}
	}
	if c.lastLeader >= 0 {
		c.leaderChanges++
		s.res.Faults["central-leader-change"]++
	}
	c.lastLeader = l.idx
	s.lg.Info("central leader", "replica", l.label, "term", l.term, "last_index", l.lastIndex())
	l.log = append(l.log, &raftEntry{index: l.lastIndex() + 1, term: l.term, noop: true})
	c.replicate(l)
}

// tick is the cluster's minute: restarts, an election if needed,
// heartbeats (which also bring followers up to date and apply), and
// compaction.
func (c *centralCluster) tick() {
	for _, r := range c.reps {
		if !r.isUp && !c.s.now.Before(r.restartAt) {
			if err := r.open(); err != nil {
				c.s.fail("central %s did not restart: %v", r.label, err)
				continue
			}
			c.s.res.Faults["central-restart"]++
		}
	}
	c.elect()
	if l := c.leader(); l != nil {
		c.replicate(l)
	}
	for _, r := range c.reps {
		c.apply(r)
	}
	c.checkSameState()
	c.compact()
}

// propose commits data through the replica at, which forwards to its
// leader when it is a follower, and returns the entry's result at the
// replica it was proposed at, once applied there.
func (c *centralCluster) propose(at *centralReplica, data []byte) (central.EntryResult, error) {
	s := c.s
	if !at.isUp {
		return central.EntryResult{}, errReplicaDown
	}
	var l *centralReplica
	switch {
	case at.leader:
		l = at
	case at.leaderOf >= 0 && c.reps[at.leaderOf].leader && c.linked(at, c.reps[at.leaderOf]):
		l = c.reps[at.leaderOf]
	default:
		s.res.Faults["central-no-leader"]++
		return central.EntryResult{}, errNoLeader
	}
	e := &raftEntry{index: l.lastIndex() + 1, term: l.term, data: data}
	l.log = append(l.log, e)
	if c.crashLeaderNext {
		// The leader dies with the entry in its log, after sending it to
		// none or some of its followers: the entry may survive (a
		// follower that holds it can win the election) or be lost. Either
		// way the proposer was not answered.
		c.crashLeaderNext = false
		for _, f := range c.reps {
			if f != l && s.r.IntN(2) == 0 {
				c.appendTo(l, f)
			}
		}
		l.crash()
		s.res.Faults["central-leader-crash-mid-proposal"]++
		return central.EntryResult{}, errReplicaDown
	}
	c.pending, c.pendingRes = e.index, map[int]central.EntryResult{}
	c.replicate(l)
	if at != l {
		c.apply(at) // a follower answers once it has applied the entry itself
	}
	if l.commit < e.index {
		c.pending, c.pendingRes = 0, nil
		s.res.Faults["central-proposal-uncommitted"]++
		return central.EntryResult{}, errNotCommitted
	}
	res, ok := c.pendingRes[at.idx]
	c.pending, c.pendingRes = 0, nil
	if !at.isUp || !ok {
		return central.EntryResult{}, errReplicaDown
	}
	if e.index > c.ackedIndex {
		c.ackedIndex, c.ackedTerm = e.index, e.term
	}
	return res, nil
}

// ProposeOps implements replicate.Proposer: a command run at this replica
// (a dry run on its log gave the ops) is committed as a local entry.
func (r *centralReplica) ProposeOps(ctx context.Context, ops []replicate.Op) error {
	res, err := r.c.propose(r, central.LocalEntry(ops))
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return err
	}
	for _, op := range res.Ops {
		r.c.s.ackCentral(op.Origin, op.Counter)
	}
	return nil
}

// ProposeIntegrate implements replicate.Proposer: a push that reached this
// replica is committed as an integrate entry.
func (r *centralReplica) ProposeIntegrate(ctx context.Context, ops []replicate.Op) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	res, err := r.c.propose(r, central.IntegrateEntry(ops))
	if err == nil {
		err = res.Err
	}
	return res.Added, err
}

var _ replicate.Proposer = (*centralReplica)(nil)

// checkSameState: replicas that applied the same entries hold the same
// ops (the state machine is a function of the log).
func (c *centralCluster) checkSameState() {
	var ref *centralReplica
	var refVV replicate.VersionVector
	for _, r := range c.reps {
		if !r.isUp {
			continue
		}
		vv, err := r.ol.VersionVector(c.s.ctx)
		if err != nil {
			continue
		}
		if ref == nil || r.sm.Applied() != ref.sm.Applied() {
			if ref == nil {
				ref, refVV = r, vv
			}
			continue
		}
		for _, o := range sortedOrigins(vv, refVV) {
			if vv[o] != refVV[o] {
				c.s.fail("central %s and %s applied the same %d entries but hold %d and %d ops of origin %s",
					ref.label, r.label, r.sm.Applied(), refVV[o], vv[o], o)
				return
			}
		}
	}
}

func sortedOrigins(a, b replicate.VersionVector) []replicate.NodeID {
	var out []replicate.NodeID
	for o := range a {
		out = append(out, o)
	}
	for o := range b {
		if _, ok := a[o]; !ok {
			out = append(out, o)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
