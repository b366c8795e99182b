package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"stacks/branch/privacy"
	"strings"
	"sync"
	"time"

	"stacks/branch/domain"
	"stacks/node/httpapi"
	"stacks/replicate"
	"stacks/replicate/central"
	"stacks/replicate/peersync"
)

// Node roles.
const (
	RoleBranch  = "branch"
	RoleCentral = "central"
)

// CentralBranchID is the branch ID a central node's domain service acts
// for: central lends nothing; it issues policy and keeps every branch's ops.
const CentralBranchID = "CENTRAL"

// CentralConfig configures a node of the central Raft cluster.
type CentralConfig struct {
	// Cluster names the cluster; its origin ID is derived from it, so all
	// central nodes of one library system must agree (default "stacks").
	Cluster string
	// RaftAddr is the Raft TCP listen address (default 127.0.0.1:7000);
	// RaftAdvertise the address the other nodes dial (default RaftAddr).
	RaftAddr, RaftAdvertise string
	// RaftID is this node's Raft server ID (default central-<node id>).
	RaftID string
	// Bootstrap makes a new one-node cluster when there is no Raft state;
	// the other nodes join it (stacks cluster join).
	Bootstrap bool
	// AdvertiseURL is this node's API URL as other nodes and operators
	// reach it (default http://<HTTPAddr>).
	AdvertiseURL string
	// AdminPassword, with Bootstrap, creates the staff account "admin"
	// (role admin) when the cluster has no staff account yet.
	AdminPassword string
	// Raft timing for tests; zero means hashicorp/raft's defaults.
	HeartbeatTimeout, ElectionTimeout time.Duration
	SnapshotThreshold                 uint64
}

func (c CentralConfig) withDefaults() CentralConfig {
	if c.Cluster == "" {
		c.Cluster = "stacks"
	}
	if c.RaftAddr == "" {
		c.RaftAddr = "127.0.0.1:7000"
	}
	return c
}

// isCentral reports whether the node runs in the central role.
func (n *Node) isCentral() bool { return n.cfg.Role == RoleCentral }

// newCentral prepares the Raft node of a central node, before its log
// exists (it becomes the log's Proposer).
func (n *Node) newCentral() error {
	cc := n.cfg.Central.withDefaults()
	id := cc.RaftID
	if id == "" {
		id = n.raftID
	}
	if n.cfg.Tailnet.Enabled && n.cfg.Tailnet.Hostname == "" {
		n.cfg.Tailnet.Hostname = "stacks-" + strings.ToLower(id) // unique per central node
	}
	var err error
	// The URL is known once the API listens (openCentral sets it).
	n.central, err = central.New(central.Config{ID: id, Dir: n.cfg.DataDir + "/raft", URL: "http://pending", Bootstrap: cc.Bootstrap,
		Client: n.nodeClient, Logger: n.lg, HeartbeatTimeout: cc.HeartbeatTimeout, ElectionTimeout: cc.ElectionTimeout,
		SnapshotThreshold: cc.SnapshotThreshold, Clock: n.cfg.Clock, PurgeKinds: []string{privacy.KindErase}})
	return err
}

// syncDoer is the client for node-to-node calls: the configured transport,
// mutual TLS, or plain HTTP.
func (n *Node) syncDoer() (peersync.Doer, error) {
	if n.cfg.SyncTransport != nil {
		return n.cfg.SyncTransport, nil
	}
	if n.cfg.SyncTLS.Enabled() {
		return n.cfg.SyncTLS.Transport()
	}
	return &http.Client{Timeout: 30 * time.Second}, nil
}

// openCentral starts Raft: on the tailnet when the node has one, else on
// TCP.
func (n *Node) openCentral(ctx context.Context) error {
	cc := n.cfg.Central.withDefaults()
	n.central.SetURL(n.centralURL(), n.nodeAPIURL())
	// The tailnet, if any, is up now: node-to-node calls go over it.
	if doer, err := n.syncDoer(); err == nil {
		n.nodeClient = doer
		n.central.SetClient(doer)
	}
	if ln, dial, ok := n.tailnetStream(); ok {
		n.central.SetTransport(ln, dial, cc.RaftAdvertise)
	} else {
		ln, err := net.Listen("tcp", cc.RaftAddr)
		if err != nil {
			return fmt.Errorf("node: listen raft %s: %w", cc.RaftAddr, err)
		}
		adv := cc.RaftAdvertise
		if adv == "" {
			adv = ln.Addr().String()
		}
		n.central.SetTransport(ln, nil, adv)
	}
	if err := n.central.Open(ctx, n.log, n.db); err != nil {
		return err
	}
	n.lg.Info("central node", "cluster", cc.Cluster, "raft_id", n.central.Status(ctx).ID, "origin", n.id.NodeHex)
	return nil
}

// nodeAPIURL is where the other nodes reach this node's node-to-node API
// when it is not on the staff API's listener: the mutual-TLS listener or
// the tailnet.
func (n *Node) nodeAPIURL() string {
	switch {
	case n.cfg.SyncTLS.Enabled() && n.syncLn != nil:
		return "https://" + n.SyncAddr()
	case n.tailnet != nil:
		tc := n.cfg.Tailnet.withDefaults()
		if tc.SyncPort == 80 {
			return "http://" + tc.Hostname
		}
		return fmt.Sprintf("http://%s:%d", tc.Hostname, tc.SyncPort)
	}
	return ""
}

// registerNodeAPI mounts the node-to-node API (sync, and central's own
// when this is a central node) on mux.
func (n *Node) registerNodeAPI(mux *http.ServeMux) {
	n.syncd.Register(mux)
	n.snapshots.Register(mux) // snapshots for new replicas (snapshots.go)
	if n.central != nil {
		n.central.Register(mux)
		mux.HandleFunc("POST "+digitalPath, n.serveDecision(digitalDecider, "digital"))
		mux.HandleFunc("POST "+handoffPath, n.serveDecision(handoffDecider, "handoff"))
		mux.HandleFunc("POST "+noticesPath, n.serveDecision(noticesDecider, "notices"))
		mux.HandleFunc("POST "+eventsPath, n.serveDecision(eventsDecider, "events"))
		mux.HandleFunc("GET "+centralStatusPath, n.serveCentralStatus)
	}
}

// centralStatusPath serves one central node's view to the others.
const centralStatusPath = "/central/v1/status"

// centralView is what one central node knows: its Raft state and the
// branches that synced with it.
type centralView struct {
	Raft     central.Status `json:"raft"`
	Contacts []Contact      `json:"contacts"`
}

func (n *Node) serveCentralStatus(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(centralView{Raft: n.central.Status(r.Context()), Contacts: n.contacts.list()})
}

// bootstrapCentral, on the node that bootstrapped the cluster, registers
// the central origin in the branch registry and creates the first admin
// account, once it leads and if they are missing.
func (n *Node) bootstrapCentral(ctx context.Context) {
	cc := n.cfg.Central.withDefaults()
	if !cc.Bootstrap {
		return
	}
	actor := domain.WithActor(ctx, domain.Actor{ID: "bootstrap", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	t, tick := n.cfg.Clock.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		if n.central.IsLeader() {
			err := n.ensureCentralRegistered(actor, cc)
			if err == nil {
				return
			}
			n.lg.Warn("central bootstrap: will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

func (n *Node) ensureCentralRegistered(ctx context.Context, cc CentralConfig) error {
	nodes, err := n.svc.RegistryNodes(ctx)
	if err != nil {
		return err
	}
	known := false
	for _, rn := range nodes {
		known = known || rn.NodeID == n.id.NodeHex
	}
	if !known {
		if err := n.svc.RegisterNode(ctx, domain.RegistryNode{NodeID: n.id.NodeHex, Role: domain.NodeRoleCentral, Name: "central " + cc.Cluster}); err != nil {
			return err
		}
		n.lg.Info("registered the central origin in the branch registry", "origin", n.id.NodeHex)
	}
	if cc.AdminPassword == "" {
		return nil
	}
	staff, err := n.svc.StaffList(ctx)
	if err != nil {
		return err
	}
	if len(staff) > 0 {
		return nil
	}
	if _, err := n.svc.SetStaff(ctx, domain.NewStaff{Username: "admin", DisplayName: "Administrator", Role: domain.RoleAdmin, Password: cc.AdminPassword}); err != nil {
		return err
	}
	n.lg.Info("created the first staff account", "username", "admin")
	return nil
}

// Contact is what a node knows of a peer that synced with it.
type Contact struct {
	Node      string            `json:"node_id"`
	Branch    string            `json:"library_id,omitempty"`
	Version   string            `json:"version,omitempty"`
	LastSeen  time.Time         `json:"last_contact"`
	VectorMap map[string]uint64 `json:"vector,omitempty"`
	Pulls     int64             `json:"pulls"`
	Pushes    int64             `json:"pushes"`
}

// contactBook records who syncs with this node.
type contactBook struct {
	mu    sync.Mutex
	clock replicate.Clock
	peers map[string]*Contact
}

func (b *contactBook) list() []Contact {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Contact, 0, len(b.peers))
	for _, c := range b.peers {
		cp := *c
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// Sync request headers a node sends so that the other side knows who
// called (informational: authorisation is by certificate or tailnet tag).
const (
	headerNode    = "X-Stacks-From-Node"
	headerBranch  = "X-Stacks-From-Branch"
	headerVersion = "X-Stacks-Version"
)

// Version is the software version nodes report to each other.
var Version = "0.4.0"

// track wraps the node-to-node API to record contacts: who pulled (with
// the vector it sent) and who pushed.
func (b *contactBook) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from := r.Header.Get(headerNode)
		if from == "" {
			next.ServeHTTP(w, r)
			return
		}
		var vec map[string]uint64
		if r.URL.Path == peersync.SyncPullPath && r.Body != nil {
			body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			if err == nil {
				var req struct {
					Vector map[string]uint64 `json:"vector"`
				}
				if json.Unmarshal(body, &req) == nil {
					vec = req.Vector
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		b.mu.Lock()
		if b.peers == nil {
			b.peers = map[string]*Contact{}
		}
		c := b.peers[from]
		if c == nil {
			c = &Contact{Node: from}
			b.peers[from] = c
		}
		c.Branch, c.Version, c.LastSeen = r.Header.Get(headerBranch), r.Header.Get(headerVersion), b.clock.Now().UTC()
		switch r.URL.Path {
		case peersync.SyncPullPath:
			c.Pulls++
			if vec != nil {
				c.VectorMap = vec
			}
		case peersync.SyncPushPath:
			c.Pushes++
		}
		b.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// identifyingDoer adds who is calling to every node-to-node request.
type identifyingDoer struct {
	next                  peersync.Doer
	node, branch, version string
}

func (d identifyingDoer) Do(r *http.Request) (*http.Response, error) {
	r.Header.Set(headerNode, d.node)
	r.Header.Set(headerBranch, d.branch)
	r.Header.Set(headerVersion, d.version)
	return d.next.Do(r)
}

// errNotCentral answers cluster administration on a branch.
var errNotCentral = errors.New("this node is a branch appliance; cluster administration runs on central nodes")

// centralIdentity turns a node's identity into a central node's: its ops
// are the cluster's origin; its own random ID names it in Raft.
func (n *Node) centralIdentity(id Identity) Identity {
	n.raftID = "central-" + id.NodeHex[:8]
	id.NodeID = central.Origin(n.cfg.Central.withDefaults().Cluster)
	id.NodeHex = id.NodeID.String()
	return id
}

// clusterAdmin is the API's cluster administration, on central nodes.
func (n *Node) clusterAdmin() httpapi.Cluster {
	if !n.isCentral() {
		return nil
	}
	return clusterAdmin{n: n}
}

// admit is the log's Admit: the branch registry, once known.
func (n *Node) admit(op replicate.Op) error {
	if n.svc == nil {
		return nil
	}
	return n.svc.Admit(op)
}

// RaftAddr is the central node's advertised Raft address, or "".
func (n *Node) RaftAddr() string {
	if n.central == nil {
		return ""
	}
	return n.central.Status(context.Background()).RaftAddr
}
