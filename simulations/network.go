package simulations

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"time"

	"stacks/branch"
	"stacks/replicate"
)

// message is one sync batch in flight: the frames of every op the sender
// knew the receiver lacked when it sent them.
type message struct {
	at       time.Time
	seq      int
	from, to int
	frames   []byte
}

// network carries sync messages between branches, with the faults asked for.
type network struct {
	s        *sim
	inflight []message
	seq      int
	cut      map[[2]int]bool // links down
}

func newNetwork(s *sim) *network { return &network{s: s, cut: map[[2]int]bool{}} }

func (nw *network) linked(a, b int) bool { return !nw.cut[[2]int{a, b}] }

// peers of branch i: every other branch (a mesh) for small systems; for
// large ones, branch 0 is the hub (a star), as central would be.
func (nw *network) peers(i int) []int {
	n := len(nw.s.nodes)
	var out []int
	if n <= 8 {
		for j := 0; j < n; j++ {
			if j != i {
				out = append(out, j)
			}
		}
		return out
	}
	if i == 0 {
		for j := 1; j < n; j++ {
			out = append(out, j)
		}
		return out
	}
	return []int{0}
}

// sync sends branch i's anti-entropy messages to its peers: each pull
// answered with the frames the peer lacks.
func (nw *network) sync(i int) {
	for _, j := range nw.peers(i) {
		nw.send(j, i) // j pulls from i
		nw.send(i, j) // and i pulls from j
	}
}

func (nw *network) send(from, to int) {
	s := nw.s
	src, dst := s.nodes[from], s.nodes[to]
	if !src.up || !dst.up || !nw.linked(from, to) {
		return
	}
	vv, err := dst.log.VersionVector(s.ctx)
	if err != nil {
		return
	}
	ops, err := src.log.Ops(s.ctx, vv, 3000)
	if err != nil || len(ops) == 0 {
		return
	}
	var frames []byte
	for k := 0; k < len(ops); k += 500 {
		frames = replicate.EncodeFrame(frames, ops[k:min(k+500, len(ops))])
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
		nw.inflight = append(nw.inflight, message{at: s.now.Add(delay), seq: nw.seq, from: from, to: to, frames: frames})
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
	dst := s.nodes[m.to]
	if !dst.up || !nw.linked(m.from, m.to) {
		return nil // lost with the link or the crashed receiver
	}
	s.res.Delivered++
	_, err := nw.integrate(dst, m.frames)
	return err
}

// integrate applies frames at a node as the sync server would: each frame
// whole or not at all. Injected faults (full disk, crash) fail a frame
// cleanly; anything else is a harness failure.
func (nw *network) integrate(dst *simNode, frames []byte) (int, error) {
	validate := func(op replicate.Op) error {
		if !branch.KnownKind(op.Kind) {
			return errors.New("unknown kind " + op.Kind)
		}
		return nil
	}
	n, err := replicate.IntegrateStream(context.Background(), dst.log, validate, bytes.NewReader(frames))
	if err != nil {
		if dst.diskFull || errors.Is(err, errCrash) {
			nw.s.res.Faults["apply-failed-by-fault"]++
			if errors.Is(err, errCrash) {
				nw.s.crash(dst)
			}
			return n, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, nil
		}
		nw.s.fail("%s rejected a sync batch: %v", dst.branch, err)
	}
	return n, nil
}

// transfer moves everything from one node to another at once (healing).
func (nw *network) transfer(from, to int) (int, error) {
	s := nw.s
	src, dst := s.nodes[from], s.nodes[to]
	moved := 0
	for {
		vv, err := dst.log.VersionVector(s.ctx)
		if err != nil {
			return moved, err
		}
		ops, err := src.log.Ops(s.ctx, vv, 5000)
		if err != nil {
			return moved, err
		}
		if len(ops) == 0 {
			return moved, nil
		}
		n, err := nw.integrate(dst, replicate.EncodeFrame(nil, ops))
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
