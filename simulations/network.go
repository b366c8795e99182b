package simulations

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"time"

	"stacks/replicate"
)

// message is one sync batch in flight: the frames of every op the sender
// knew the receiver lacked when it sent them.
type message struct {
	at       time.Time
	seq      int
	from, to int
	frames   []byte
	// high is the highest counter per origin in frames: what a central
	// replica acknowledges holding once it accepts the push.
	high replicate.VersionVector
}

// network carries sync messages between endpoints (branches 0..B-1, then
// the central replicas), with the faults asked for.
type network struct {
	s        *sim
	inflight []message
	seq      int
	cut      map[[2]int]bool // links down
}

func newNetwork(s *sim) *network { return &network{s: s, cut: map[[2]int]bool{}} }

func (nw *network) linked(a, b int) bool { return !nw.cut[[2]int{a, b}] }

// peers of branch i at one sync: a central replica (any of them, as a
// branch syncs with any central node) and, in small systems, another
// branch too (a mesh beside the star).
func (nw *network) peers(i int) []int {
	s := nw.s
	out := []int{s.cfg.Branches + s.r.IntN(len(s.central.reps))}
	if s.cfg.Branches <= 8 {
		if j := s.r.IntN(s.cfg.Branches - 1); j < i {
			out = append(out, j)
		} else {
			out = append(out, j+1)
		}
	}
	return out
}

// sync sends branch i's anti-entropy messages to its peers: each pull
// answered with the frames the peer lacks.
func (nw *network) sync(i int) {
	for _, j := range nw.peers(i) {
		nw.send(j, i) // i pulls from j
		nw.send(i, j) // and j pulls from i (a push, to a central replica)
	}
}

func (nw *network) send(from, to int) {
	s := nw.s
	src, dst := s.endpoint(from), s.endpoint(to)
	if !src.up() || !dst.up() || !nw.linked(from, to) {
		return
	}
	vv, err := dst.oplog().VersionVector(s.ctx)
	if err != nil {
		return
	}
	have, err := src.oplog().VersionVector(s.ctx)
	if err != nil || !ahead(have, vv) {
		return // the pull finds nothing new
	}
	ops, err := src.oplog().Ops(s.ctx, vv, 3000)
	if err != nil || len(ops) == 0 {
		return
	}
	var frames []byte
	high := replicate.VersionVector{}
	for k := 0; k < len(ops); k += 500 {
		frames = replicate.EncodeFrame(frames, ops[k:min(k+500, len(ops))])
	}
	for _, op := range ops {
		high[op.Origin] = max(high[op.Origin], op.Counter)
	}
	f := s.cfg.Faults
	s.res.Messages++
	if s.r.Float64() < f.Loss {
		s.res.Faults["message-lost"]++
		return
	}
	copies := 1
	if s.r.Float64() < f.Dup {
		copies = 2
		s.res.Faults["message-duplicated"]++
	}
	for c := 0; c < copies; c++ {
		delay := time.Minute
		if f.MaxDelay > 0 {
			delay += time.Duration(s.r.Int64N(int64(f.MaxDelay)))
		}
		nw.seq++
		nw.inflight = append(nw.inflight, message{at: s.now.Add(delay), seq: nw.seq, from: from, to: to, frames: frames, high: high})
	}
}

// deliverDue delivers the messages whose time has come, in time order.
func (nw *network) deliverDue() error {
	sort.Slice(nw.inflight, func(a, b int) bool {
		if !nw.inflight[a].at.Equal(nw.inflight[b].at) {
			return nw.inflight[a].at.Before(nw.inflight[b].at)
		}
		return nw.inflight[a].seq < nw.inflight[b].seq
	})
	k := 0
	for k < len(nw.inflight) && !nw.inflight[k].at.After(nw.s.now) {
		if err := nw.deliver(nw.inflight[k]); err != nil {
			return err
		}
		k++
	}
	nw.inflight = nw.inflight[k:]
	return nil
}

func (nw *network) deliver(m message) error {
	s := nw.s
	dst := s.endpoint(m.to)
	if !dst.up() || !nw.linked(m.from, m.to) {
		return nil // lost with the link or the crashed receiver
	}
	s.res.Delivered++
	_, err := nw.integrate(m.to, m.frames, m.high)
	return err
}

// integrate applies frames at an endpoint as the sync server would: each
// frame whole or not at all; at a central replica, through its log's
// proposer (the simulated Raft). Injected faults (full disk, crash, no
// central leader) fail a frame cleanly; anything else is a harness
// failure. A push a central replica accepted whole is acknowledged: its
// ops must never be lost.
func (nw *network) integrate(to int, frames []byte, high replicate.VersionVector) (int, error) {
	s := nw.s
	ep := s.endpoint(to)
	known, err := s.applier()
	if err != nil {
		return 0, err
	}
	validate := func(op replicate.Op) error {
		if !known.KnownKind(op.Kind) {
			return errors.New("unknown kind " + op.Kind)
		}
		return nil
	}
	n, err := replicate.IntegrateStream(context.Background(), ep.oplog(), validate, bytes.NewReader(frames))
	if to >= s.cfg.Branches {
		switch {
		case err == nil:
			// Acknowledged: what the replica holds of the push now (an
			// origin not in the registry is refused, and pushed again
			// later).
			if vv, verr := ep.oplog().VersionVector(s.ctx); verr == nil {
				for o, c := range high {
					s.ackCentral(o, min(c, vv[o]))
				}
			}
		case errors.Is(err, errNoLeader), errors.Is(err, errNotCommitted), errors.Is(err, errReplicaDown):
			s.res.Faults["push-not-acknowledged"]++
		default:
			s.fail("%s rejected a push: %v", ep.name(), err)
		}
		return n, nil
	}
	dst := s.nodes[to]
	if err != nil {
		if dst.diskFull || errors.Is(err, errCrash) {
			s.res.Faults["apply-failed-by-fault"]++
			if errors.Is(err, errCrash) {
				s.crash(dst)
			}
			return n, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, nil
		}
		s.fail("%s rejected a sync batch: %v", dst.branch, err)
	}
	return n, nil
}

// transfer moves everything from one endpoint to another at once
// (healing).
func (nw *network) transfer(from, to int) (int, error) {
	s := nw.s
	src, dst := s.endpoint(from), s.endpoint(to)
	moved := 0
	for {
		vv, err := dst.oplog().VersionVector(s.ctx)
		if err != nil {
			return moved, err
		}
		ops, err := src.oplog().Ops(s.ctx, vv, 5000)
		if err != nil {
			return moved, err
		}
		if len(ops) == 0 {
			return moved, nil
		}
		high := replicate.VersionVector{}
		for _, op := range ops {
			high[op.Origin] = max(high[op.Origin], op.Counter)
		}
		n, err := nw.integrate(to, replicate.EncodeFrame(nil, ops), high)
		if err != nil {
			return moved, err
		}
		if n == 0 {
			return moved, nil
		}
		moved += n
	}
}

func (nw *network) healAll() { nw.cut = map[[2]int]bool{} }

// endpoint is a node on the simulated network.
type endpoint interface {
	name() string
	up() bool
	oplog() *replicate.Log
}

func (n *simNode) name() string          { return n.branch }
func (n *simNode) up() bool              { return n.isUp }
func (n *simNode) oplog() *replicate.Log { return n.log }

func (r *centralReplica) name() string          { return r.label }
func (r *centralReplica) up() bool              { return r.isUp }
func (r *centralReplica) oplog() *replicate.Log { return r.ol }

// endpoint i: a branch, or a central replica after the branches.
func (s *sim) endpoint(i int) endpoint {
	if i < len(s.nodes) {
		return s.nodes[i]
	}
	return s.central.reps[i-len(s.nodes)]
}

func (s *sim) endpoints() int { return len(s.nodes) + len(s.central.reps) }

// ahead reports whether a holds an op b lacks.
func ahead(a, b replicate.VersionVector) bool {
	for o, c := range a {
		if c > b[o] {
			return true
		}
	}
	return false
}
