package peersync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"stacks/replicate"
	"stacks/replicate/clock"
	"stacks/replicate/syncstate"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Doer sends HTTP requests: an *http.Client over plain HTTP (tests), HTTPS
// with mutual TLS, or a tailnet. It is the sync transport.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// PeerStatus is what a node knows of its sync with one peer (declared in
// syncstate, which API clients import without linking storage).
type PeerStatus = syncstate.PeerStatus

// SyncerConfig configures a Syncer.
type SyncerConfig struct {
	Peers     []string
	Transport Doer
	Validate  replicate.Validator
	Logger    *slog.Logger
	// Clock tells the time of the status and makes the timers of the
	// loops (nil: the system clock).
	Clock clock.Clock
	// Interval between syncs with a healthy peer; MaxBackoff caps the wait
	// after failures. Both are jittered.
	Interval   time.Duration
	MaxBackoff time.Duration
	Rand       *rand.Rand
	// Observe, if set, is told the outcome of every sync with a peer
	// (simulations check it; nil error: a success).
	Observe func(peer string, err error)
	// Legacy makes the syncer behave as a node from before frame version
	// negotiation (no frame version headers): for tests and simulations
	// of a cluster upgraded node by node.
	Legacy bool
	// StallTimeout cancels a pull or push that makes no progress for this
	// long: no response headers yet, or no byte of a pulled stream while
	// the syncer waits for one (default 60s). A long pull that keeps
	// streaming is never cut, however long it takes; time the syncer
	// spends applying what it read does not count as a stall.
	StallTimeout time.Duration
}

// Syncer runs anti-entropy with each peer: pull what we lack, push what
// they lack, again and again, backing off from peers that fail.
type Syncer struct {
	log *replicate.Log
	cfg SyncerConfig
	lg  *slog.Logger

	mu     sync.Mutex
	status map[string]*PeerStatus
	rnd    *rand.Rand

	// The loops: one timer per peer while running.
	lmu     sync.Mutex
	running bool
	ctx     context.Context
	timers  map[string]clock.Timer
	backoff map[string]time.Duration
	rounds  sync.WaitGroup

	// stable is the highest stable vector peers announced (X-Stacks-Stable).
	smu    sync.Mutex
	stable replicate.VersionVector
}

// ErrRebootstrap is returned by SyncOnce when the peer has compacted away
// ops this node lacks: this node's own ops were pushed first; it must start
// again from a snapshot of a peer's state.
var ErrRebootstrap = errors.New("peersync: re-bootstrap needed")

// Stable is the cluster's stable vector as peers announced it (entry by
// entry the highest heard): ops at or below it are held by every replica.
// Empty until a peer that knows it (central) answered.
func (s *Syncer) Stable() replicate.VersionVector {
	s.smu.Lock()
	defer s.smu.Unlock()
	out := replicate.VersionVector{}
	out.Merge(s.stable)
	return out
}

// NeedsRebootstrap is the message of the first peer that told this node
// it must re-bootstrap, or "".
func (s *Syncer) NeedsRebootstrap() string {
	for _, st := range s.Status() {
		if st.Rebootstrap != "" {
			return st.Rebootstrap
		}
	}
	return ""
}

func (s *Syncer) noteStable(resp *http.Response) {
	h := resp.Header.Get(headerStable)
	if h == "" {
		return
	}
	var raw map[string]uint64
	if json.Unmarshal([]byte(h), &raw) != nil {
		return
	}
	vv, err := vectorFromJSON(raw)
	if err != nil {
		return
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.stable == nil {
		s.stable = replicate.VersionVector{}
	}
	s.stable.Merge(vv)
}

// NewSyncer returns a syncer for log. It does no I/O; call Run or SyncOnce.
func NewSyncer(log *replicate.Log, cfg SyncerConfig) *Syncer {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Transport == nil {
		cfg.Transport = &http.Client{}
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 60 * time.Second
	}
	if cfg.Validate == nil {
		cfg.Validate = func(replicate.Op) error { return nil }
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(uint64(log.Node()), 1))
	}
	s := &Syncer{log: log, cfg: cfg, lg: cfg.Logger.With("subsystem", "sync"), status: map[string]*PeerStatus{}, rnd: cfg.Rand,
		timers: map[string]clock.Timer{}, backoff: map[string]time.Duration{}}
	for _, p := range cfg.Peers {
		s.status[strings.TrimRight(p, "/")] = &PeerStatus{URL: strings.TrimRight(p, "/")}
	}
	return s
}

// Status reports every peer's sync state: configured peers in order, then
// any other peer synced with, by URL.
func (s *Syncer) Status() []PeerStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PeerStatus, 0, len(s.status))
	seen := map[string]bool{}
	for _, p := range s.cfg.Peers {
		p = strings.TrimRight(p, "/")
		seen[p] = true
		out = append(out, *s.status[p])
	}
	var extra []string
	for p := range s.status {
		if !seen[p] {
			extra = append(extra, p)
		}
	}
	sort.Strings(extra)
	for _, p := range extra {
		out = append(out, *s.status[p])
	}
	return out
}

func (s *Syncer) jitter(d time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return d/2 + time.Duration(s.rnd.Int64N(int64(d)))
}

// Run syncs with every peer until ctx is done, then stops (Start, then
// Stop once ctx is done).
func (s *Syncer) Run(ctx context.Context) {
	s.Start(ctx)
	<-ctx.Done()
	s.Stop()
}

// Start begins a loop per configured peer and returns: a sync at once,
// then one every Interval (jittered), backing off exponentially to
// MaxBackoff while the peer fails. Each round is a timer of the clock, so
// a fake clock drives the loops (its Advance runs the rounds that fall
// due). ctx is the rounds' context; Stop ends the loops.
func (s *Syncer) Start(ctx context.Context) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.running {
		return
	}
	s.running, s.ctx = true, ctx
	for _, p := range s.cfg.Peers {
		p = strings.TrimRight(p, "/")
		s.backoff[p] = s.cfg.Interval
		s.scheduleLocked(p, 0)
	}
}

// Stop ends the loops and waits for the rounds under way.
func (s *Syncer) Stop() {
	s.lmu.Lock()
	s.running = false
	for p, t := range s.timers {
		t.Stop()
		delete(s.timers, p)
	}
	s.lmu.Unlock()
	s.rounds.Wait()
}

func (s *Syncer) scheduleLocked(peer string, d time.Duration) {
	s.timers[peer] = s.cfg.Clock.AfterFunc(d, func() { s.round(peer) })
}

// round is one turn of a peer's loop: sync, then arm the next turn.
func (s *Syncer) round(peer string) {
	s.lmu.Lock()
	if !s.running {
		s.lmu.Unlock()
		return
	}
	ctx := s.ctx
	s.rounds.Add(1)
	s.lmu.Unlock()
	defer s.rounds.Done()

	err := s.SyncOnce(ctx, peer)
	s.lmu.Lock()
	defer s.lmu.Unlock()
	wait := s.cfg.Interval
	if err != nil && ctx.Err() == nil {
		s.backoff[peer] = min(s.backoff[peer]*2, s.cfg.MaxBackoff)
		wait = s.backoff[peer]
	} else {
		s.backoff[peer] = s.cfg.Interval
	}
	if s.running && ctx.Err() == nil {
		s.scheduleLocked(peer, s.jitter(wait))
	}
}

func (s *Syncer) record(peer string, f func(*PeerStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.status[peer]
	if !ok {
		st = &PeerStatus{URL: peer}
		s.status[peer] = st
	}
	f(st)
}

// SyncOnce pulls from and pushes to one peer.
func (s *Syncer) SyncOnce(ctx context.Context, peer string) error {
	peer = strings.TrimRight(peer, "/")
	now := s.cfg.Clock.Now()
	s.record(peer, func(st *PeerStatus) { st.LastAttempt = now })
	err := s.syncOnce(ctx, peer)
	s.record(peer, func(st *PeerStatus) {
		if err != nil {
			st.Errors++
			st.LastError = err.Error()
			if errors.Is(err, replicate.ErrBadFrame) {
				st.RejectedBatch++
			}
		} else {
			st.LastError = ""
			st.LastSuccess = s.cfg.Clock.Now()
		}
	})
	if err != nil && ctx.Err() == nil {
		s.lg.Warn("sync failed", "peer", peer, "err", err)
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(peer, err)
	}
	return err
}

func (s *Syncer) syncOnce(ctx context.Context, peer string) error {
	var resp *http.Response
	var mine replicate.VersionVector
	for attempt := 0; ; attempt++ {
		var err error
		if mine, err = s.log.VersionVector(ctx); err != nil {
			return err
		}
		body, _ := json.Marshal(map[string]any{"node": s.log.Node().String(), "vector": mine})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer+SyncPullPath, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if !s.cfg.Legacy {
			req.Header.Set(headerFrames, replicate.FormatFrameVersions(replicate.FrameVersions()))
		}
		resp, err = s.do(req)
		if err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		s.noteStable(resp)
		if resp.StatusCode != http.StatusGone {
			break
		}
		// Refused as below the peer's compaction point. If this node's
		// vector has passed the peer's floors since it sent the request
		// (ops from another peer meanwhile), the request was stale: ask
		// again.
		if attempt == 0 && s.passedFloors(ctx, resp) {
			resp.Body.Close()
			continue
		}
		return s.rebootstrap(ctx, peer, resp)
	}
	theirs, node, err := peerVector(resp)
	if err != nil {
		resp.Body.Close()
		return fmt.Errorf("pull: %w", err)
	}
	// The version to push in: the newest the peer reads (none listed: a
	// node from before negotiation, which reads version 1).
	pushVersion, err := replicate.NegotiateFrameVersion(resp.Header.Get(headerFrames))
	if s.cfg.Legacy {
		pushVersion, err = 1, nil
	}
	if err != nil {
		resp.Body.Close()
		return fmt.Errorf("peer %s: %w", node, err)
	}
	behind := missing(theirs, mine)
	cr := &countingReader{r: resp.Body}
	pulled, err := replicate.IntegrateStream(ctx, s.log, s.cfg.Validate, cr)
	if st := stalledBody(resp); err != nil && st != nil {
		// Not a bad frame: the stream stopped; what was applied stays.
		err = st
	}
	resp.Body.Close()
	s.record(peer, func(st *PeerStatus) {
		st.Node, st.OpsBehind = node, behind
		st.OpsPulled += int64(pulled)
		st.BytesIn += cr.n
		st.Rebootstrap = ""
	})
	if err != nil {
		return fmt.Errorf("pull from %s: %w", node, err)
	}
	if pulled > 0 {
		s.lg.Info("pulled ops", "peer", peer, "node", node, "ops", pulled, "bytes", cr.n)
	}
	return s.pushVersion(ctx, peer, theirs, pushVersion)
}

// rebootstrap handles a pull refused with 410: the peer compacted away ops
// this node lacks. Nothing of this node's is lost: what the peer lacks
// (this node's own unsynced ops first of all) is pushed, and only then is
// the need to re-bootstrap reported, loudly.
func (s *Syncer) rebootstrap(ctx context.Context, peer string, resp *http.Response) error {
	var problem struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&problem)
	resp.Body.Close()
	if problem.Code != CodeRebootstrap {
		return fmt.Errorf("pull: %s: %s", resp.Status, problem.Detail)
	}
	var raw map[string]uint64
	if err := json.Unmarshal([]byte(resp.Header.Get("X-Stacks-Vector")), &raw); err != nil {
		return fmt.Errorf("pull: %w: and no version vector from the peer to push to: %v", ErrRebootstrap, err)
	}
	theirs, err := vectorFromJSON(raw)
	if err != nil {
		return err
	}
	node := resp.Header.Get("X-Stacks-Node")
	pushVersion, err := replicate.NegotiateFrameVersion(resp.Header.Get(headerFrames))
	if s.cfg.Legacy {
		pushVersion, err = 1, nil
	}
	if err != nil {
		return fmt.Errorf("%w: and no frame version in common to push in: %v", ErrRebootstrap, err)
	}
	if err := s.pushVersion(ctx, peer, theirs, pushVersion); err != nil {
		return fmt.Errorf("%w (and pushing this node's ops first failed: %v)", ErrRebootstrap, err)
	}
	msg := fmt.Sprintf("this node was away longer than the compaction horizon and %s has compacted away ops it lacks (%s); its own ops were pushed; start it again from a snapshot (the old database is kept aside): branchd --bootstrap-from %s --bootstrap-force",
		peer, problem.Detail, peer)
	first := false
	s.record(peer, func(st *PeerStatus) {
		first = st.Rebootstrap == ""
		st.Node, st.Rebootstrap = node, msg
	})
	if first {
		s.lg.Error("RE-BOOTSTRAP NEEDED", "peer", peer, "node", node, "detail", problem.Detail, "run", "branchd --bootstrap-from "+peer+" --bootstrap-force")
	}
	return fmt.Errorf("%w: %s", ErrRebootstrap, msg)
}

// passedFloors: this node's vector now covers the compaction floors a 410
// answer names.
func (s *Syncer) passedFloors(ctx context.Context, resp *http.Response) bool {
	var raw map[string]uint64
	if json.Unmarshal([]byte(resp.Header.Get(headerCompacted)), &raw) != nil {
		return false
	}
	floors, err := vectorFromJSON(raw)
	if err != nil {
		return false
	}
	mine, err := s.log.VersionVector(ctx)
	if err != nil {
		return false
	}
	for o, c := range floors {
		if mine[o] < c {
			return false
		}
	}
	return true
}

// pushVersion sends the peer, in frames of version (negotiated), the ops
// it lacks (theirs is its vector).
func (s *Syncer) pushVersion(ctx context.Context, peer string, theirs replicate.VersionVector, version int) error {
	mine, err := s.log.VersionVector(ctx)
	if err != nil {
		return err
	}
	ahead := missing(mine, theirs)
	s.record(peer, func(st *PeerStatus) { st.OpsAhead = ahead })
	for ahead > 0 {
		ops, err := s.log.Ops(ctx, theirs, 5000)
		if errors.Is(err, replicate.ErrCompacted) {
			return fmt.Errorf("push: the peer lacks ops this node has compacted away; it must re-bootstrap: %w", err)
		}
		if err != nil {
			return err
		}
		if len(ops) == 0 {
			break
		}
		var frames []byte
		for i := 0; i < len(ops); i += 2000 {
			frames = replicate.EncodeFrame(frames, ops[i:min(i+2000, len(ops))])
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, peer+SyncPushPath, bytes.NewReader(frames))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", frameContent)
		if !s.cfg.Legacy {
			req.Header.Set(headerFrameVersion, strconv.Itoa(version))
		}
		resp, err := s.do(req)
		if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		s.noteStable(resp)
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("push: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
		}
		for _, op := range ops {
			if op.Counter > theirs[op.Origin] {
				theirs[op.Origin] = op.Counter
			}
		}
		s.record(peer, func(st *PeerStatus) {
			st.OpsPushed += int64(len(ops))
			st.BytesOut += int64(len(frames))
		})
		s.lg.Info("pushed ops", "peer", peer, "ops", len(ops), "bytes", len(frames))
		if len(ops) < 5000 {
			break
		}
	}
	return nil
}

func peerVector(resp *http.Response) (replicate.VersionVector, string, error) {
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, "", fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	var raw map[string]uint64
	if err := json.Unmarshal([]byte(resp.Header.Get("X-Stacks-Vector")), &raw); err != nil {
		return nil, "", fmt.Errorf("no version vector from peer: %w", err)
	}
	vv, err := vectorFromJSON(raw)
	return vv, resp.Header.Get("X-Stacks-Node"), err
}

// missing counts the ops in a that b lacks.
func missing(a, b replicate.VersionVector) uint64 {
	var n uint64
	for o, c := range a {
		if c > b[o] {
			n += c - b[o]
		}
	}
	return n
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
