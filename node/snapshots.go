package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/privacy"
	"stacks/replicate"
	"stacks/replicate/snapshot"
)

// BootstrapConfig starts a new (or replaced) replica from a peer's
// snapshot instead of an empty database (branchd --bootstrap-from).
type BootstrapConfig struct {
	// From is the base URL of the peer's node-to-node API (as a --peer).
	From string
	// Force replaces a data dir that already holds a node: its database
	// and identity are moved to DataDir/replaced-TIME, never deleted.
	Force bool
}

// snapshotDir holds the snapshots this node serves; bootstrapDir a
// download in progress.
const (
	snapshotDir  = "snapshots"
	bootstrapDir = "bootstrap"
)

// snapshotScrub is what a snapshot leaves out: the node's own dealings
// with the payment provider (like its print spool, which is another
// file), central's Raft bookkeeping, and node_meta but for the "demo" key
// (it says what the data is). The node's identity (node.json), cluster key
// and tailnet state are other files, never in a snapshot; sync cursors
// and peer status live in memory.
func snapshotScrub() snapshot.Scrub {
	return snapshot.Scrub{ClearTables: []string{"online_payments"}, DropTables: []string{"raft_applied", "central_members"},
		DropComponents: []string{"central"}, KeepMeta: []string{"demo"}}
}

// openSnapshots makes the server of snapshots (routes beside sync's, on
// the node-to-node API). A kept snapshot made before an erasure is never
// served and is removed.
func (n *Node) openSnapshots(context.Context) error {
	n.snapshots = snapshot.NewServer(snapshot.ServerConfig{DB: n.db, Dir: filepath.Join(n.cfg.DataDir, snapshotDir), Node: n.id.NodeID,
		Scrub: snapshotScrub(), Clock: n.cfg.Clock, Logger: n.lg, Generation: n.erasureGeneration})
	return nil
}

func (n *Node) erasureGeneration(ctx context.Context) (string, error) {
	c, err := privacy.New(n.svc).ErasureCount(ctx)
	return strconv.Itoa(c), err
}

// Snapshots is the node's snapshot server (tests and benchmarks).
func (n *Node) Snapshots() *snapshot.Server { return n.snapshots }

// openBootstrap, when configured, installs a peer's snapshot as the
// database of a new data dir before the store opens: it makes this
// replica's own identity first (a new node ID: never the peer's origin),
// downloads the snapshot (resuming a cut one), verifies its SHA-256 and
// installs it. The syncer then pulls the ops after the snapshot's vector.
func (n *Node) openBootstrap(ctx context.Context) error {
	b := n.cfg.Bootstrap
	if b.From == "" {
		return nil
	}
	if len(n.cfg.Peers) == 0 { // sync the ops after the snapshot from the same peer
		n.cfg.Peers = []string{b.From}
	}
	dir := n.cfg.DataDir // created by lockDataDir, the first step
	bdir := filepath.Join(dir, bootstrapDir)
	dbPath := filepath.Join(dir, dbFile)
	inProgress, hasDB, hasID := exists(bdir), exists(dbPath), exists(filepath.Join(dir, identityFile))
	switch {
	case inProgress && hasDB: // installed, then stopped before tidying up
		return os.RemoveAll(bdir)
	case !inProgress && (hasDB || hasID):
		if !b.Force {
			return fmt.Errorf("node: --bootstrap-from: the data dir %s already holds a node; start without --bootstrap-from to run it, "+
				"or add --bootstrap-force to replace it (its database and identity are moved to %s, not deleted)", dir, filepath.Join(dir, "replaced-TIME"))
		}
		aside, err := n.moveAside(dir)
		if err != nil {
			return err
		}
		n.lg.Warn("bootstrap: the data dir's node was moved aside", "to", aside)
	}
	if err := os.MkdirAll(bdir, 0o750); err != nil {
		return fmt.Errorf("node: bootstrap: %w", err)
	}
	id, _, err := loadIdentity(dir, n.cfg.Branch, n.cfg.Rand, n.cfg.Clock.Now())
	if err != nil {
		return err
	}
	lg := n.lg.With("node", id.NodeHex, "branch", id.Branch)
	lg.Info("bootstrapping a new replica from a peer's snapshot", "peer", b.From)
	doer, err := n.bootstrapDoer(id)
	if err != nil {
		return err
	}
	start := n.cfg.Clock.Now()
	info, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: b.From, Doer: doer, Dir: bdir, Logger: lg, Clock: n.cfg.Clock})
	if err != nil {
		if strings.Contains(err.Error(), "403") {
			return fmt.Errorf("node: bootstrap from %s: %w (if the peer knows the branch registry, register this node first: "+
				"stacks cluster register --node-id %s --library %s; then run again)", b.From, err, id.NodeHex, id.Branch)
		}
		return fmt.Errorf("node: bootstrap from %s: %w", b.From, err)
	}
	fetched := n.cfg.Clock.Now()
	known := append(replicate.CoreMigrations(), branch.Migrations(CapabilitiesIn(n.cfg.Location)...)...)
	if newer, err := snapshot.UnknownMigrations(ctx, filepath.Join(bdir, snapshot.PartFile), known, snapshotScrub()); err != nil {
		return fmt.Errorf("node: bootstrap: %w", err)
	} else if len(newer) > 0 {
		return fmt.Errorf("node: bootstrap: the snapshot is from a newer version of Stacks (migrations %s are unknown to %s); "+
			"upgrade this node and run again (the download is kept)", strings.Join(newer, ", "), Version)
	}
	vv, err := snapshot.Install(ctx, bdir, dbPath, snapshotScrub(), map[string]string{
		"bootstrap_from": b.From, "bootstrap_snapshot": info.ID, "bootstrap_peer_node": info.Node,
		"bootstrap_at": fetched.UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("node: bootstrap: %w", err)
	}
	if err := os.RemoveAll(bdir); err != nil {
		return fmt.Errorf("node: bootstrap: %w", err)
	}
	lg.Info("bootstrapped from a snapshot; syncing the ops after it", "snapshot", info.ID, "peer_node", info.Node, "bytes", info.Size,
		"download", fetched.Sub(start).Round(time.Millisecond), "install", n.cfg.Clock.Now().Sub(fetched).Round(time.Millisecond), "vector", vv.String())
	return nil
}

// bootstrapDoer is the sync transport, naming this replica as the caller
// (the peer's registry gate checks it), without the sync client's overall
// timeout: a big snapshot takes longer than a sync round.
func (n *Node) bootstrapDoer(id Identity) (snapshot.Doer, error) {
	var d interface {
		Do(*http.Request) (*http.Response, error)
	} = n.cfg.SyncTransport
	if d == nil && n.cfg.SyncTLS.Enabled() {
		c, err := n.cfg.SyncTLS.Transport()
		if err != nil {
			return nil, err
		}
		cc := *c
		cc.Timeout = 0
		d = &cc
	}
	if d == nil {
		d = &http.Client{}
	}
	return identifyingDoer{next: d, node: id.NodeHex, branch: id.Branch, version: Version}, nil
}

// moveAside moves the data dir's database and identity into a new
// replaced-TIME directory beside them.
func (n *Node) moveAside(dir string) (string, error) {
	aside := filepath.Join(dir, "replaced-"+n.cfg.Clock.Now().UTC().Format("20060102T150405Z"))
	if err := os.Mkdir(aside, 0o750); err != nil {
		return "", fmt.Errorf("node: bootstrap: %w", err)
	}
	for _, name := range []string{dbFile, dbFile + "-wal", dbFile + "-shm", identityFile} {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(aside, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("node: bootstrap: move %s aside: %w", name, err)
		}
	}
	return aside, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
