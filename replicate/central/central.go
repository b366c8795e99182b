// Package central is the central site's replicated state machine: a
// hashicorp/raft cluster of (usually three) nodes that together are one
// logical origin. Ops accepted from branches and ops central issues itself
// (the branch registry, circulation rules, calendars) are committed through
// the Raft log and applied to every central node's op log, in one order, so
// every central node holds the same state and issues the same op IDs.
//
// A central node plugs into its replicate.Log as the log's Proposer: every
// write to the log (a command of the domain, a push from a branch) becomes
// a Raft entry instead of a local commit. A follower forwards its entries
// to the leader over HTTP (/central/v1/propose) and answers once it has
// applied them itself, so a caller reads its own writes on any node.
package central

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"stacks/replicate"
	"stacks/replicate/clock"
)

// Config configures a central node.
type Config struct {
	// ID is this node's Raft server ID, stable across restarts.
	ID string
	// Dir holds the Raft log and stable store (raft-wal) and snapshots.
	Dir string
	// Listener and Dial carry Raft traffic; Advertise is the address the
	// other nodes dial (Listener's address when empty).
	Listener  net.Listener
	Dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	Advertise string
	// URL is this node's API base URL; SyncURL its node-to-node API when
	// served elsewhere. The other nodes learn them through the Raft log.
	URL, SyncURL string
	// Bootstrap makes a new cluster of this node alone when it has no Raft
	// state yet; the others join it.
	Bootstrap bool
	// Client forwards entries to the leader (nil: http.DefaultClient).
	Client interface {
		Do(*http.Request) (*http.Response, error)
	}
	Logger *slog.Logger
	// Raft timing; zero values take hashicorp/raft's defaults.
	HeartbeatTimeout, ElectionTimeout time.Duration
	// SnapshotThreshold is how many entries pass between snapshots.
	SnapshotThreshold uint64
	// PurgeKinds are op kinds (an erasure) whose ops, once applied, must
	// leave no copy of what they redact in the Raft log: the node then
	// snapshots, truncates its log to the snapshot with no trailing
	// entries, removes its older snapshots and rewrites its Raft log at its next
	// start (see purge).
	PurgeKinds []string
	// ApplyTimeout bounds one proposal (default 10s).
	ApplyTimeout time.Duration
	// Clock makes the timers of this package's own loops (the leader's
	// record of its URLs, waiting for a leader while forwarding, retrying
	// a failed apply); nil is the system clock. hashicorp/raft's own
	// heartbeats, elections and timeouts run on the runtime's timers,
	// which no injected clock reaches.
	Clock clock.Clock
}

// Node is one member of the central cluster.
type Node struct {
	cfg      Config
	deciders map[string]Decider
	lg       *slog.Logger
	log      *replicate.Log
	db       *replicate.DB
	fsm      *fsm
	raft     *raft.Raft
	store    logStore
	logs     *raft.LogCache // the newest entries of store, in memory
	snaps    *raft.FileSnapshotStore
	trans    *raft.NetworkTransport
	stop     chan struct{}
	wg       sync.WaitGroup

	closeOnce sync.Once
}

// New returns a node for cfg; it does no I/O. Set it as the log's
// Proposer, then call Open with that log.
func New(cfg Config) (*Node, error) {
	switch {
	case cfg.ID == "":
		return nil, errors.New("central: no node ID")
	case cfg.Dir == "":
		return nil, errors.New("central: no Raft directory")
	case cfg.URL == "":
		return nil, errors.New("central: no API URL")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Client == nil {
		cfg.Client = http.DefaultClient
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	if cfg.ApplyTimeout == 0 {
		cfg.ApplyTimeout = 10 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	return &Node{cfg: cfg, lg: cfg.Logger.With("subsystem", "central"), stop: make(chan struct{})}, nil
}

// Open starts Raft over log and db: restores the newest snapshot if the
// database is older than it (a lost or replaced database), replays the
// log from there, and bootstraps a new cluster when asked to.
func (n *Node) Open(ctx context.Context, log *replicate.Log, db *replicate.DB) error {
	if n.cfg.Listener == nil {
		return errors.New("central: no Raft listener")
	}
	if n.cfg.Advertise == "" {
		n.cfg.Advertise = n.cfg.Listener.Addr().String()
	}
	if err := os.MkdirAll(n.cfg.Dir, 0o750); err != nil {
		return err
	}
	cleanTemp(n.cfg.Dir)
	n.log, n.db = log, db
	n.fsm = newFSM(log, db, n.cfg.Dir, n.lg, n.stop)
	n.fsm.clock = n.cfg.Clock
	n.fsm.deciders = n.deciders
	n.fsm.purgeKinds = map[string]bool{}
	for _, k := range n.cfg.PurgeKinds {
		n.fsm.purgeKinds[k] = true
	}
	n.fsm.purge = make(chan struct{}, 1)
	applied, err := n.fsm.loadApplied(ctx)
	if err != nil {
		return err
	}
	hl := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Info, Output: &slogWriter{lg: n.lg}, DisableTime: true})
	ws, err := openLogStore(n.cfg.Dir)
	if err != nil {
		return err
	}
	n.store = ws
	n.snaps, err = raft.NewFileSnapshotStoreWithLogger(n.cfg.Dir, 2, hl)
	if err != nil {
		n.store.Close()
		return fmt.Errorf("central: snapshot store: %w", err)
	}
	if err := n.restoreIfBehind(ctx, applied); err != nil {
		n.store.Close()
		return err
	}
	n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  &streamLayer{Listener: n.cfg.Listener, dial: n.cfg.Dial, advertise: n.cfg.Advertise},
		MaxPool: 4, Timeout: 10 * time.Second, Logger: hl,
	})
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(n.cfg.ID)
	rc.Logger = hl
	rc.NoSnapshotRestoreOnStart = true // the database is durable; restoreIfBehind handles a lost one
	rc.BatchApplyCh = true
	rc.MaxAppendEntries = 256
	if n.cfg.HeartbeatTimeout > 0 {
		rc.HeartbeatTimeout = n.cfg.HeartbeatTimeout
		rc.LeaderLeaseTimeout = n.cfg.HeartbeatTimeout / 2
	}
	if n.cfg.ElectionTimeout > 0 {
		rc.ElectionTimeout = n.cfg.ElectionTimeout
	}
	if n.cfg.SnapshotThreshold > 0 {
		rc.SnapshotThreshold = n.cfg.SnapshotThreshold
		rc.TrailingLogs = n.cfg.SnapshotThreshold
	}
	// The newest entries stay in memory in front of the log files, as rqlite
	// keeps them: the leader reads each entry back to send it to the
	// followers, and a follower reads each to apply it, right after storing
	// it. Raft's log truncation (a purge's too) empties the cache.
	if n.logs, err = raft.NewLogCache(logCacheSize, n.store); err != nil {
		n.trans.Close()
		n.store.Close()
		return fmt.Errorf("central: raft log cache: %w", err)
	}
	if n.raft, err = raft.NewRaft(rc, n.fsm, n.logs, n.store, n.snaps, n.trans); err != nil {
		n.trans.Close()
		n.store.Close()
		return fmt.Errorf("central: raft: %w", err)
	}
	if n.cfg.Bootstrap {
		has, err := raft.HasExistingState(n.store, n.store, n.snaps)
		if err != nil {
			return err
		}
		if !has {
			f := n.raft.BootstrapCluster(raft.Configuration{Servers: []raft.Server{{
				ID: rc.LocalID, Address: raft.ServerAddress(n.cfg.Advertise), Suffrage: raft.Voter}}})
			if err := f.Error(); err != nil {
				return fmt.Errorf("central: bootstrap: %w", err)
			}
			n.lg.Info("bootstrapped a new central cluster", "id", n.cfg.ID, "raft", n.cfg.Advertise)
		}
	}
	n.wg.Add(2)
	go n.watchLeadership()
	go n.purgeLoop()
	return nil
}

// logCacheSize is how many of the newest Raft entries a node keeps in
// memory (rqlite's size).
const logCacheSize = 512

// restoreIfBehind loads the newest snapshot into the database when the
// database has applied fewer entries than the snapshot holds.
func (n *Node) restoreIfBehind(ctx context.Context, applied uint64) error {
	metas, err := n.snaps.List()
	if err != nil || len(metas) == 0 {
		return err
	}
	if metas[0].Index <= applied {
		return nil
	}
	_, rc, err := n.snaps.Open(metas[0].ID)
	if err != nil {
		return fmt.Errorf("central: open snapshot %s: %w", metas[0].ID, err)
	}
	n.lg.Info("restoring the database from a snapshot", "snapshot", metas[0].ID, "index", metas[0].Index, "db_applied", applied)
	return n.fsm.Restore(rc)
}

// watchLeadership records this node's URLs in the Raft log whenever it
// becomes leader and they are missing or stale, so that followers know
// where to forward.
func (n *Node) watchLeadership() {
	defer n.wg.Done()
	t, tick := n.cfg.Clock.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-n.raft.LeaderCh():
		case <-tick:
		}
		if n.raft.State() != raft.Leader {
			continue
		}
		if m, ok := n.member(context.Background(), n.cfg.ID); ok && m.URL == n.cfg.URL && m.SyncURL == n.cfg.SyncURL && m.RaftAddr == n.cfg.Advertise {
			continue
		}
		b, _ := json.Marshal(Member{ID: n.cfg.ID, RaftAddr: n.cfg.Advertise, URL: n.cfg.URL, SyncURL: n.cfg.SyncURL})
		if _, _, err := n.applyLocal(append([]byte{entryMember}, b...)); err != nil {
			n.lg.Warn("recording this node's URLs failed", "err", err)
		}
	}
}

// Close stops Raft and its stores (not the log or database).
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		close(n.stop)
		n.wg.Wait()
		if n.raft != nil {
			err = n.raft.Shutdown().Error()
		}
		if n.trans != nil {
			n.trans.Close()
		}
		if n.store != nil {
			if cerr := n.store.Close(); err == nil {
				err = cerr
			}
		}
	})
	return err
}

// SetTransport sets the listener and dialer of Raft traffic (before Open),
// for a transport known only after New (a tailnet).
func (n *Node) SetTransport(ln net.Listener, dial func(ctx context.Context, network, addr string) (net.Conn, error), advertise string) {
	n.cfg.Listener, n.cfg.Advertise = ln, advertise
	if dial != nil {
		n.cfg.Dial = dial
	}
}

// DBOptions is how a central node opens its database: every commit of the
// state machine can be replayed from the Raft log (the index applied
// commits with it), so commits need not fsync; Raft's own log does. Its
// WAL is checkpointed every 2 s, not every 250 ms: each checkpoint syncs
// the WAL and the database, beside the Raft log's appends on the same
// disk, and at 4 a second they tripled the tail of a lone writer's
// latency (p99 7 ms against 4 ms at 2 s, BENCHMARKS).
func DBOptions() replicate.DBOptions {
	return replicate.DBOptions{SyncNormal: true, CheckpointEvery: 2 * time.Second}
}

// SetClient sets the client that forwards to the leader (before Open).
func (n *Node) SetClient(c interface {
	Do(*http.Request) (*http.Response, error)
}) {
	n.cfg.Client = c
}

// SetURL sets this node's API URL and node-to-node URL (before Open).
func (n *Node) SetURL(url, syncURL string) { n.cfg.URL, n.cfg.SyncURL = url, syncURL }

// Origin is the op-log origin of the central cluster named cluster: every
// central node of it writes as this one origin.
func Origin(cluster string) replicate.NodeID {
	h := fnv.New64a()
	h.Write([]byte("stacks-central/" + cluster))
	if v := h.Sum64(); v != 0 {
		return replicate.NodeID(v)
	}
	return 1
}

// IsLeader reports whether this node leads the cluster now.
func (n *Node) IsLeader() bool { return n.raft.State() == raft.Leader }

// ProposeOps implements replicate.Proposer.
func (n *Node) ProposeOps(ctx context.Context, ops []replicate.Op) error {
	_, err := n.propose(ctx, append([]byte{entryLocal}, replicate.EncodeFrame(nil, ops)...), true)
	return err
}

// ProposeIntegrate implements replicate.Proposer.
func (n *Node) ProposeIntegrate(ctx context.Context, ops []replicate.Op) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	// A push need not wait for this follower to apply it: the pusher reads
	// nothing back but a vector, and the next sync settles the rest.
	return n.propose(ctx, append([]byte{entryIntegrate}, replicate.EncodeFrame(nil, ops)...), false)
}

// ErrNoLeader means the cluster has no leader this node can reach.
var ErrNoLeader = errors.New("central: no leader (the cluster may be electing one, or lack a majority)")

// propose commits an entry: through Raft on the leader, else by forwarding
// it to the leader; with wait, it returns once the entry is applied on this
// node too (a caller reads its own writes on any node).
func (n *Node) propose(ctx context.Context, data []byte, wait bool) (int, error) {
	if n.raft.State() == raft.Leader {
		added, _, err := n.applyLocal(data)
		if !errors.Is(err, raft.ErrNotLeader) && !errors.Is(err, raft.ErrLeadershipLost) {
			return added, err
		}
	}
	added, idx, err := n.forward(ctx, data)
	if err != nil || !wait {
		return added, err
	}
	wctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
	defer cancel()
	if err := n.fsm.waitApplied(wctx, idx); err != nil {
		return added, fmt.Errorf("central: committed at index %d but not yet applied here: %w", idx, err)
	}
	return added, nil
}

// applyLocal commits data through Raft on this (leader) node.
func (n *Node) applyLocal(data []byte) (int, uint64, error) {
	res, idx, err := n.applyLocalFull(data)
	if err != nil {
		return 0, 0, err
	}
	return res.Added, idx, res.Err
}

// applyLocalFull commits data through Raft on this (leader) node and
// returns what applying it gave; the error is Raft's, the entry's own is
// in the result.
func (n *Node) applyLocalFull(data []byte) (applyResult, uint64, error) {
	f := n.raft.Apply(data, n.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		return applyResult{}, 0, err
	}
	res, _ := f.Response().(applyResult)
	return res, f.Index(), nil
}

// leaderWait bounds how long a proposal waits for an election to end.
const leaderWait = 5 * time.Second

// awaitLeader returns the leader's member record, waiting a little while
// the cluster elects one (or the new leader publishes its URL).
func (n *Node) awaitLeader(ctx context.Context) (Member, raft.ServerID, error) {
	deadline := n.cfg.Clock.Now().Add(min(leaderWait, n.cfg.ApplyTimeout))
	for {
		_, leaderID := n.raft.LeaderWithID()
		var err error
		if leaderID == "" {
			err = ErrNoLeader
		} else if m, ok := n.member(ctx, string(leaderID)); ok {
			return m, leaderID, nil
		} else {
			err = fmt.Errorf("%w: leader %s has not published its URL yet", ErrNoLeader, leaderID)
		}
		if n.cfg.Clock.Now().After(deadline) {
			return Member{}, "", err
		}
		if werr := n.pause(ctx, 50*time.Millisecond); werr != nil {
			if errors.Is(werr, errStopped) {
				return Member{}, "", err
			}
			return Member{}, "", werr
		}
	}
}

// errStopped: the node closed while waiting.
var errStopped = errors.New("central: node closed")

// pause waits d on the clock, or until ctx is done or the node closes.
func (n *Node) pause(ctx context.Context, d time.Duration) error {
	t, c := n.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-n.stop:
		return errStopped
	case <-c:
		return nil
	}
}

// errStaleLeader is a forward that reached a node no longer leading.
var errStaleLeader = errors.New("central: the node forwarded to no longer leads")

// forward sends an entry to the leader, again to the next one if the
// leadership moved meanwhile (an entry the old leader did not commit is
// not applied, so sending it again is safe).
func (n *Node) forward(ctx context.Context, data []byte) (int, uint64, error) {
	pr, err := n.forwardFull(ctx, data)
	if err != nil {
		return 0, 0, err
	}
	if pr.Error != "" {
		return pr.Added, pr.Index, errors.New(pr.Error)
	}
	return pr.Added, pr.Index, nil
}

// forwardFull is forward answering the leader's whole reply; the entry's
// own error is in the reply.
func (n *Node) forwardFull(ctx context.Context, data []byte) (proposeReply, error) {
	deadline := n.cfg.Clock.Now().Add(min(leaderWait, n.cfg.ApplyTimeout))
	for {
		pr, err := n.forwardOnce(ctx, data)
		if !errors.Is(err, errStaleLeader) || n.cfg.Clock.Now().After(deadline) {
			return pr, err
		}
		if werr := n.pause(ctx, 50*time.Millisecond); errors.Is(werr, errStopped) {
			return proposeReply{}, err
		} else if werr != nil {
			return proposeReply{}, werr
		}
	}
}

func (n *Node) forwardOnce(ctx context.Context, data []byte) (proposeReply, error) {
	m, leaderID, err := n.awaitLeader(ctx)
	if err != nil {
		return proposeReply{}, err
	}
	if string(leaderID) == n.cfg.ID { // elected meanwhile
		res, idx, err := n.applyLocalFull(data)
		if err != nil {
			return proposeReply{}, err
		}
		return replyOf(res, idx), nil
	}
	base := m.NodeAPI()
	fctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(fctx, http.MethodPost, strings.TrimRight(base, "/")+ProposePath, bytes.NewReader(data))
	if err != nil {
		return proposeReply{}, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Stacks-Central", n.cfg.ID)
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return proposeReply{}, fmt.Errorf("central: forward to leader %s: %w", leaderID, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusMisdirectedRequest {
		return proposeReply{}, fmt.Errorf("%w: %s", errStaleLeader, leaderID)
	}
	if resp.StatusCode != http.StatusOK {
		return proposeReply{}, fmt.Errorf("central: leader %s refused: %s: %s", leaderID, resp.Status, strings.TrimSpace(string(body)))
	}
	var pr proposeReply
	if err := json.Unmarshal(body, &pr); err != nil {
		return proposeReply{}, fmt.Errorf("central: leader %s: %w", leaderID, err)
	}
	return pr, nil
}

type proposeReply struct {
	Index uint64 `json:"index"`
	Added int    `json:"added"`
	Error string `json:"error,omitempty"`
	// Result and Ops are a decide entry's: the decider's answer and the
	// ops it emitted (a frame).
	Result []byte `json:"result,omitempty"`
	Ops    []byte `json:"ops,omitempty"`
}

// replyOf is the reply to a proposal that committed at idx with res.
func replyOf(res applyResult, idx uint64) proposeReply {
	pr := proposeReply{Index: idx, Added: res.Added, Result: res.Result}
	if res.Err != nil {
		pr.Error = res.Err.Error()
	}
	if res.Result != nil && len(res.Ops) > 0 {
		pr.Ops = replicate.EncodeFrame(nil, res.Ops)
	}
	return pr
}

// Members lists the central nodes known to the Raft log, with URLs.
func (n *Node) Members(ctx context.Context) ([]Member, error) {
	rows, err := n.db.Read().QueryContext(ctx, `SELECT id, raft_addr, url, sync_url FROM central_members ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.RaftAddr, &m.URL, &m.SyncURL); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (n *Node) member(ctx context.Context, id string) (Member, bool) {
	ms, err := n.Members(ctx)
	if err != nil {
		return Member{}, false
	}
	for _, m := range ms {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// Join adds a node to the cluster as a voter. On a follower it is
// forwarded to the leader.
func (n *Node) Join(ctx context.Context, m Member) error {
	if m.ID == "" || m.RaftAddr == "" || m.URL == "" {
		return errors.New("central: a member needs an id, a raft address and a URL")
	}
	if n.raft.State() != raft.Leader {
		return n.forwardMembership(ctx, http.MethodPost, m)
	}
	if err := n.raft.AddVoter(raft.ServerID(m.ID), raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("central: add %s: %w", m.ID, err)
	}
	b, _ := json.Marshal(m)
	_, _, err := n.applyLocal(append([]byte{entryMember}, b...))
	n.lg.Info("central node joined", "id", m.ID, "raft", m.RaftAddr, "url", m.URL)
	return err
}

// Remove takes a node out of the cluster.
func (n *Node) Remove(ctx context.Context, id string) error {
	if n.raft.State() != raft.Leader {
		return n.forwardMembership(ctx, http.MethodDelete, Member{ID: id})
	}
	known := false
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, s := range f.Configuration().Servers {
			known = known || string(s.ID) == id
		}
	}
	if !known {
		return fmt.Errorf("%w: %s", ErrUnknownMember, id)
	}
	if err := n.raft.RemoveServer(raft.ServerID(id), 0, n.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("central: remove %s: %w", id, err)
	}
	b, _ := json.Marshal(Member{ID: id})
	_, _, err := n.applyLocal(append([]byte{entryForget}, b...))
	n.lg.Info("central node removed", "id", id)
	return err
}

// ErrUnknownMember is a removal of a node that is not in the cluster.
var ErrUnknownMember = errors.New("central: no such member")

func (n *Node) forwardMembership(ctx context.Context, method string, m Member) error {
	lm, leaderID, err := n.awaitLeader(ctx)
	if err != nil {
		return err
	}
	base := lm.NodeAPI()
	b, _ := json.Marshal(m)
	u := strings.TrimRight(base, "/") + MembersPath
	if method == http.MethodDelete {
		u += "/" + m.ID
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("central: forward to leader %s: %w", leaderID, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	switch resp.StatusCode {
	case http.StatusOK, http.StatusNoContent:
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrUnknownMember, m.ID)
	}
	return fmt.Errorf("central: leader %s: %s: %s", leaderID, resp.Status, strings.TrimSpace(string(body)))
}

// Status is a central node's view of Raft, for cluster health.
type Status struct {
	ID           string       `json:"id"`
	RaftAddr     string       `json:"raft_addr"`
	State        string       `json:"state"`
	Term         uint64       `json:"term"`
	LastIndex    uint64       `json:"last_index"`
	CommitIndex  uint64       `json:"commit_index"`
	AppliedIndex uint64       `json:"applied_index"`
	LeaderID     string       `json:"leader_id"`
	LastContact  string       `json:"last_contact"`
	Peers        []PeerStatus `json:"peers"`
}

// PeerStatus is one server of the Raft configuration.
type PeerStatus struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	URL      string `json:"url,omitempty"`
	Suffrage string `json:"suffrage"`
	Leader   bool   `json:"leader"`
}

// Status reports this node's Raft state.
func (n *Node) Status(ctx context.Context) Status {
	st := n.raft.Stats()
	num := func(k string) uint64 { v, _ := strconv.ParseUint(st[k], 10, 64); return v }
	_, leader := n.raft.LeaderWithID()
	s := Status{ID: n.cfg.ID, RaftAddr: n.cfg.Advertise, State: strings.ToLower(n.raft.State().String()), Term: num("term"),
		LastIndex: num("last_log_index"), CommitIndex: num("commit_index"), AppliedIndex: n.fsm.applied.Load(),
		LeaderID: string(leader), LastContact: st["last_contact"], Peers: []PeerStatus{}}
	urls := map[string]string{}
	if ms, err := n.Members(ctx); err == nil {
		for _, m := range ms {
			urls[m.ID] = m.URL
		}
	}
	if f := n.raft.GetConfiguration(); f.Error() == nil {
		for _, srv := range f.Configuration().Servers {
			s.Peers = append(s.Peers, PeerStatus{ID: string(srv.ID), RaftAddr: string(srv.Address), URL: urls[string(srv.ID)],
				Suffrage: strings.ToLower(srv.Suffrage.String()), Leader: srv.ID == leader})
		}
	}
	sort.Slice(s.Peers, func(i, j int) bool { return s.Peers[i].ID < s.Peers[j].ID })
	return s
}

// Snapshot takes a snapshot now (operators and tests; Raft also takes them
// by itself every SnapshotThreshold entries).
func (n *Node) Snapshot() error { return n.raft.Snapshot().Error() }

// WaitApplied returns once entry idx is applied on this node.
func (n *Node) WaitApplied(ctx context.Context, idx uint64) error { return n.fsm.waitApplied(ctx, idx) }

// streamLayer is Raft's transport over any listener and dialer (TCP, TLS
// or a tailnet).
type streamLayer struct {
	net.Listener
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	advertise string
}

func (s *streamLayer) Addr() net.Addr { return advertAddr(s.advertise) }

func (s *streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.dial(ctx, "tcp", string(addr))
}

type advertAddr string

func (a advertAddr) Network() string { return "tcp" }
func (a advertAddr) String() string  { return string(a) }

// slogWriter passes hashicorp/raft's log lines to our logger.
type slogWriter struct{ lg *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	switch {
	case strings.HasPrefix(line, "[ERROR]"):
		level = slog.LevelError
	case strings.HasPrefix(line, "[WARN]"):
		level = slog.LevelWarn
	case strings.HasPrefix(line, "[DEBUG]"), strings.HasPrefix(line, "[TRACE]"):
		level = slog.LevelDebug
	}
	w.lg.Log(context.Background(), level, line)
	return len(p), nil
}
