package simulations

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"stacks/branch"
	"stacks/replicate"
	"stacks/replicate/peersync"
)

// errCrash is the injected crash just before a commit.
var errCrash = errors.New("simulated crash before commit")

// simNode is one branch appliance.
type simNode struct {
	s      *sim
	idx    int
	id     replicate.NodeID
	branch string
	dir    string
	clock  *simClock
	rnd    *rand.ChaCha8

	db   *replicate.DB
	log  *replicate.Log
	svc  *branch.Service
	isUp bool

	// syncer runs the real sync loops with every peer; refusedBy and
	// cutBy note, per peer host, an exchange refused or cut (see observe).
	syncer    *peersync.Syncer
	refusedBy map[string]bool
	cutBy     map[string]bool

	diskFull     bool
	diskFreeAt   time.Time
	crashPending bool // crash at the next commit
	crashNow     bool // crashed in a commit: the simulation stops it next (reap)
	restartAt    time.Time
	acked        uint64

	// Replacement by a new replica (rebootstrap.go): draining, it takes no
	// more work; rejoining, it went down past the horizon;
	// needsRebootstrap, a peer told it so; successor is the new node ID.
	draining, rejoining, needsRebootstrap bool
	successor                             replicate.NodeID
}

func (s *sim) newNode(i int) (*simNode, error) {
	var seed [32]byte
	for k := range seed {
		seed[k] = byte(s.r.Uint32())
	}
	n := &simNode{s: s, idx: i, id: replicate.NodeID(s.r.Uint64() | 1), branch: s.branchID(i), dir: nodeDir(s.dir, i),
		clock: &simClock{sim: s}, rnd: rand.NewChaCha8(seed)}
	if err := os.MkdirAll(n.dir, 0o750); err != nil {
		return nil, err
	}
	return n, n.open()
}

func (n *simNode) open() error {
	ctx := context.Background()
	applier, err := n.s.applier()
	if err != nil {
		return err
	}
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(n.dir, "stacks.db"), branch.Migrations(capabilities()...), replicate.DBOptions{NoSync: true})
	if err != nil {
		return err
	}
	lg := replicate.NewLog(db, replicate.Config{Node: n.id, Clock: n.clock, MaxBatch: 1, Logger: n.s.lg,
		BeforeCommit: func() error {
			if n.crashPending {
				n.crashPending, n.crashNow = false, true
				return errCrash
			}
			return nil
		}}, applier)
	if err := lg.Open(ctx); err != nil {
		db.Close()
		return err
	}
	cfg := branch.Config{Branch: n.branch, Location: time.UTC, Clock: n.clock, Rand: chacha{n.rnd}, Logger: n.s.lg, PINCost: 4,
		Capabilities: capabilities()}
	svc, err := branch.NewService(lg, cfg)
	if err != nil {
		lg.Close()
		db.Close()
		return err
	}
	n.db, n.log, n.svc, n.isUp = db, lg, svc, true
	n.startSync()
	return nil
}

// startSync serves the node's log to its peers and starts its sync loops
// with every central replica and, in a small system, every other branch
// (a mesh beside the star).
func (n *simNode) startSync() {
	s := n.s
	s.net.hosts.HandleServer(n.branch, peersync.NewServer(n.log, s.validOp, s.lg))
	peers := []string{}
	for k := 0; k < 3; k++ {
		peers = append(peers, "http://"+centralLabel(k))
	}
	if s.cfg.Branches <= 8 {
		for j := 0; j < s.cfg.Branches; j++ {
			if j != n.idx {
				peers = append(peers, "http://"+s.branchID(j))
			}
		}
	}
	n.refusedBy, n.cutBy = map[string]bool{}, map[string]bool{}
	n.syncer = peersync.NewSyncer(n.log, peersync.SyncerConfig{Peers: peers,
		Transport: &peersync.InProcess{Hosts: s.net.hosts, Net: link{nw: s.net, from: n.idx}},
		Validate:  s.validOp, Logger: s.lg, Clock: n.clock, Interval: syncInterval, MaxBackoff: syncMaxBackoff,
		Rand: rand.New(rand.NewPCG(s.r.Uint64(), s.r.Uint64())), Observe: n.observe})
	n.syncer.Start(s.ctx)
}

// stop drops the node's process state. Committed work is on disk; a
// command in flight was aborted before its commit.
func (n *simNode) stop() {
	if n.syncer != nil {
		n.isUp = false
		n.s.net.abandon(n.idx) // its exchanges in flight die with it
		n.syncer.Stop()
		n.syncer = nil
	}
	if n.log != nil {
		n.log.Close()
		n.db.Close()
		n.log, n.db, n.svc = nil, nil, nil
	}
	n.isUp = false
}

// restart reopens the node from its database and checks that nothing it
// acknowledged was lost.
func (n *simNode) restart() error {
	if n.diskFull {
		n.diskFull = false // a restart comes with space freed
	}
	if err := n.open(); err != nil {
		return err
	}
	vv, err := n.log.VersionVector(context.Background())
	if err != nil {
		return err
	}
	if vv[n.id] < n.acked {
		n.s.fail("%s lost acknowledged ops across a crash: has %d, acknowledged %d", n.branch, vv[n.id], n.acked)
	}
	return nil
}

// noteAck records that the node acknowledged everything it has written.
func (n *simNode) noteAck() {
	vv, err := n.log.VersionVector(context.Background())
	if err == nil && vv[n.id] > n.acked {
		n.acked = vv[n.id]
	}
}
