package simulations

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"stacks/branch"
	"stacks/replicate"
	"stacks/replicate/peersync"
)

// The simulated network carries the real sync protocol: every branch runs
// replicate/peersync's Syncer (its loops on the seeded clock, its jitter
// from the seed) against the peersync.Server of each peer, over a
// peersync.InProcess transport whose Network is this one. An exchange (a
// pull, or a push) is lost, duplicated, delayed (it reaches the peer
// later, and the answer is what the peer held then) or, for a pull, cut
// in the middle of the answer; a partition or a crashed node makes the
// peer unreachable.
//
// The syncer is ordinary blocking code, so each round runs as a task: a
// goroutine that runs alone while the simulation waits, and hands control
// back when it parks (its request in flight) or ends. Exactly one
// goroutine runs at a time, so a run is as deterministic as one thread.

// Sync timing of every branch's loops, one per peer.
const (
	syncInterval   = 20 * time.Minute
	syncMaxBackoff = 2 * time.Hour
)

// errUnreachable is an exchange that failed on the simulated network.
var errUnreachable = errors.New("simulated network: peer unreachable or message lost")

// message is an exchange in flight: a request whose task waits for its
// delivery, or (task nil) a duplicate the network delivers by itself.
type message struct {
	at       time.Time
	seq      int
	from, to int
	x        *peersync.Exchange
	task     *task
}

// task is a syncer round parked on the network.
type task struct{ resume chan error }

// network carries sync exchanges between endpoints (branches 0..B-1, then
// the central replicas), with the faults asked for.
type network struct {
	s        *sim
	hosts    *peersync.Hosts
	inflight []message
	seq      int
	cut      map[[2]int]bool // links down
	yield    chan struct{}
	// direct: exchanges are delivered at once and whole (healing).
	direct bool
}

func newNetwork(s *sim) *network {
	return &network{s: s, hosts: peersync.NewHosts(), cut: map[[2]int]bool{}, yield: make(chan struct{})}
}

func (nw *network) linked(a, b int) bool { return !nw.cut[[2]int{a, b}] }

// run runs f as a task, alone, until it parks or ends; then crashes what
// it crashed.
func (nw *network) run(f func()) {
	go func() {
		f()
		nw.yield <- struct{}{}
	}()
	<-nw.yield
	nw.s.reap()
}

// park, in a task, hands control back to the simulation until the task
// is woken, and returns what it is woken with.
func (nw *network) park(t *task) error {
	nw.yield <- struct{}{}
	return <-t.resume
}

// wake resumes a parked task and waits until it parks again or ends.
func (nw *network) wake(t *task, err error) {
	t.resume <- err
	<-nw.yield
	nw.s.reap()
}

// link is one branch's side of the network: the peersync.Network of its
// syncer's transport.
type link struct {
	nw   *network
	from int
}

var _ peersync.Network = link{}

// Carry runs in the syncer's task: it decides the exchange's fate, parks
// until the request arrives, then serves it at the peer.
func (l link) Carry(ctx context.Context, x *peersync.Exchange) error {
	nw, s := l.nw, l.nw.s
	to := s.endpointByName(x.Host)
	if to < 0 {
		return fmt.Errorf("simulated network: no endpoint %q", x.Host)
	}
	if !s.endpoint(l.from).up() || !s.endpoint(to).up() || !nw.linked(l.from, to) {
		return errUnreachable
	}
	s.res.Messages++
	if nw.direct {
		nw.serve(l.from, to, x)
		return nil
	}
	f := s.cfg.Faults
	if s.r.Float64() < f.Loss {
		s.res.Faults["message-lost"]++
		return errUnreachable
	}
	if s.r.Float64() < f.Dup {
		s.res.Faults["message-duplicated"]++
		nw.send(message{at: s.now.Add(nw.delay()), from: l.from, to: to, x: x})
	}
	t := &task{resume: make(chan error)}
	nw.send(message{at: s.now.Add(nw.delay()), from: l.from, to: to, x: x, task: t})
	if err := nw.park(t); err != nil {
		return err
	}
	nw.serve(l.from, to, x)
	if x.Path == peersync.SyncPullPath && f.Loss > 0 && s.r.Float64() < f.Loss/2 {
		// The connection drops in the middle of the answer.
		_, body := x.Answer()
		x.Cut(s.r.IntN(len(body) + 1))
		s.nodes[l.from].cutBy[x.Host] = true
		s.res.Faults["stream-cut"]++
	}
	return nil
}

// delay is how long a message takes: a minute, and up to MaxDelay more, so
// messages overtake each other.
func (nw *network) delay() time.Duration {
	d := time.Minute
	if nw.s.cfg.Faults.MaxDelay > 0 {
		d += time.Duration(nw.s.r.Int64N(int64(nw.s.cfg.Faults.MaxDelay)))
	}
	return d
}

func (nw *network) send(m message) {
	nw.seq++
	m.seq = nw.seq
	nw.inflight = append(nw.inflight, m)
}

// deliverDue delivers the messages whose time has come, in time order:
// a parked task is woken to have its request served; a duplicate is
// served by the network. A message to or from a node that is down, or
// across a cut link, is lost.
func (nw *network) deliverDue() {
	sort.Slice(nw.inflight, func(a, b int) bool {
		if !nw.inflight[a].at.Equal(nw.inflight[b].at) {
			return nw.inflight[a].at.Before(nw.inflight[b].at)
		}
		return nw.inflight[a].seq < nw.inflight[b].seq
	})
	s := nw.s
	for len(nw.inflight) > 0 && !nw.inflight[0].at.After(s.now) {
		m := nw.inflight[0]
		nw.inflight = nw.inflight[1:]
		ok := s.endpoint(m.from).up() && s.endpoint(m.to).up() && nw.linked(m.from, m.to)
		switch {
		case m.task != nil && ok:
			nw.wake(m.task, nil)
		case m.task != nil:
			nw.wake(m.task, errUnreachable)
		case ok:
			nw.serve(m.from, m.to, m.x)
			s.reap()
		}
	}
}

// abandon fails every exchange in flight from endpoint i (its process
// died): their tasks end.
func (nw *network) abandon(i int) {
	var ts []*task
	keep := nw.inflight[:0]
	for _, m := range nw.inflight {
		if m.from == i && m.task != nil {
			ts = append(ts, m.task)
			continue
		}
		keep = append(keep, m)
	}
	nw.inflight = keep
	for _, t := range ts {
		nw.wake(t, errUnreachable)
	}
}

// abandonAll fails every exchange in flight.
func (nw *network) abandonAll() {
	for i := 0; i < nw.s.endpoints(); i++ {
		nw.abandon(i)
	}
	nw.inflight = nil
}

// serve delivers x to endpoint to and checks the answer: a peer may
// refuse only for an injected fault (a full disk, a crash, no central
// leader); a push a central replica accepted is acknowledged, and its
// ops must never be lost.
func (nw *network) serve(from, to int, x *peersync.Exchange) {
	s := nw.s
	status, body := x.Serve() // this delivery's answer (a duplicate may have come first)
	s.res.Delivered++
	dst := s.endpoint(to)
	if status == 200 {
		if to >= s.cfg.Branches && x.Path == peersync.SyncPushPath && dst.up() {
			// Acknowledged: everything the replica holds is committed (an
			// origin not in the registry is refused, and pushed again
			// later).
			if vv, err := dst.oplog().VersionVector(s.ctx); err == nil {
				for o, c := range vv {
					s.ackCentral(o, c)
				}
			}
		}
		return
	}
	if from < len(s.nodes) {
		s.nodes[from].refusedBy[x.Host] = true
	}
	msg := string(body)
	switch {
	case to >= s.cfg.Branches && (!dst.up() || strings.Contains(msg, errNoLeader.Error()) ||
		strings.Contains(msg, errNotCommitted.Error()) || strings.Contains(msg, errReplicaDown.Error())):
		s.res.Faults["push-not-acknowledged"]++
	case to < s.cfg.Branches && (s.nodes[to].diskFull || s.nodes[to].crashNow || !dst.up()):
		s.res.Faults["apply-failed-by-fault"]++
	case status == 410 && from < len(s.nodes) && s.excluded[s.nodes[from].id]:
		// Away past the horizon: told to re-bootstrap (observe).
		s.res.Faults["rebootstrap-required"]++
	case status == 410 && s.staleAfterCompaction(from, dst):
		// A pull sent (or delayed, or duplicated) before the puller got
		// past the replica's compaction floors through another peer: the
		// syncer asks again with its current vector.
		s.res.Faults["pull-overtaken-by-compaction"]++
	default:
		s.fail("%s refused a sync request (%s): %d %s", dst.name(), x.Path, status, strings.TrimSpace(msg))
	}
}

// observe is every branch syncer's Observe: a sync may fail only for an
// injected fault.
func (n *simNode) observe(peer string, err error) {
	host := strings.TrimPrefix(peer, "http://")
	refused, cut := n.refusedBy[host], n.cutBy[host]
	delete(n.refusedBy, host)
	delete(n.cutBy, host)
	s := n.s
	if errors.Is(err, peersync.ErrRebootstrap) && s.excluded[n.id] {
		n.needsRebootstrap = true // replaced once central holds its ops (replicaWork)
	}
	switch {
	case err == nil, refused: // a refusal was checked where it was answered
	case errors.Is(err, errUnreachable):
	case errors.Is(err, replicate.ErrCompacted) && s.excludedHost(host):
		// Pushing to a peer away past the horizon: it lacks ops this
		// node compacted; it is to re-bootstrap.
		s.res.Faults["push-to-peer-past-horizon"]++
	case errors.Is(err, errCrash) || n.diskFull:
		s.res.Faults["apply-failed-by-fault"]++
	case cut && (errors.Is(err, replicate.ErrBadFrame) || errors.Is(err, io.ErrUnexpectedEOF)):
	default:
		s.fail("%s: sync with %s failed: %v", n.branch, host, err)
	}
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
	n, err := replicate.IntegrateStream(context.Background(), ep.oplog(), s.validOp, bytes.NewReader(frames))
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
			s.reap()
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

// validOp is the sync validation of every endpoint: op kinds the domain
// and its capabilities know.
func (s *sim) validOp(op replicate.Op) error {
	if s.known == nil {
		a, err := branch.NewApplier(capabilities()...)
		if err != nil {
			return err
		}
		s.known = &a
	}
	if !s.known.KnownKind(op.Kind) {
		return errors.New("unknown kind " + op.Kind)
	}
	return nil
}

// endpointByName is the endpoint of a host name, or -1.
func (s *sim) endpointByName(host string) int {
	for i := 0; i < s.endpoints(); i++ {
		if s.endpoint(i).name() == host {
			return i
		}
	}
	return -1
}

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

// excludedHost: host is a branch left out of compaction for the horizon.
func (s *sim) excludedHost(host string) bool {
	j := s.endpointByName(host)
	return j >= 0 && j < len(s.nodes) && s.excluded[s.nodes[j].id]
}
