package node

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/branch/feedback"
	"stacks/branch/handoff"
	"stacks/branch/help"
	"stacks/branch/imports"
	"stacks/branch/insight"
	"stacks/branch/notices"
	"stacks/branch/patronprefs"
	"stacks/branch/privacy"
	"stacks/branch/recommend"
	"stacks/branch/search"
	"stacks/branch/websession"
	"stacks/hardware/discovery"
	"stacks/hardware/sip2"
	"stacks/node/demo"
	"stacks/node/httpapi"
	"stacks/node/notify"
	"stacks/node/web"
	"stacks/replicate"
	"stacks/replicate/central"
	"stacks/replicate/peersync"
	"stacks/replicate/snapshot"
)

// Node is one running Stacks appliance.
type Node struct {
	cfg Config
	lg  *slog.Logger

	id  Identity
	db  *replicate.DB
	log *replicate.Log
	svc *branch.Service
	// digital lends digital titles (digital.go).
	digital *digital.Service
	// handoff issues and redeems handoff codes (handoff.go).
	handoff *handoff.Service
	// feedback is the surveys (feedback.go).
	feedback *feedback.Service
	// events is events and programmes (events.go).
	events *events.Service
	// help is the help requests (feedback.go wires its surveys).
	help *help.Service
	// notices is the notice engine (notices.go).
	notices *notices.Engine
	// search is the catalogue's search index (branch/search).
	search *search.Index
	// searches counts searches and their success (branch/insight).
	searches *insight.Searches
	ln       net.Listener

	caps    []branch.Capability // the capabilities the applier and the service run
	applier branch.Applier
	// deferral wakes the catch-up passes of derived state (catchUpLoop).
	deferral *branch.Deferral
	srv      *http.Server

	syncer *peersync.Syncer
	syncd  *peersync.Server
	// snapshots serves snapshots to new replicas (snapshots.go).
	snapshots *snapshot.Server
	// syncSrv serves the sync API with mutual TLS, when configured.
	syncSrv *http.Server
	syncLn  net.Listener

	// sip2 serves self-check kiosks on sip2Ln, when configured.
	sip2    *sip2.Server
	sip2Ln  net.Listener
	sip2TLS bool
	mdns    *discovery.Advertiser

	tailnet *nodeTailnet // the sync API on the tailnet, when configured (tailnet.go)

	// central is the Raft node of the central role (central.go).
	central    *central.Node
	raftID     string        // default Raft ID, from the node's own identity
	nodeClient peersync.Doer // node-to-node calls
	contacts   contactBook   // who synced with this node
	compaction compaction    // what the compaction loop last did
	metrics    *metrics      // Prometheus metrics (metrics.go)

	// notifier delivers notices (email, SMS, print) and serves the links
	// they carry (/n/), on the HTTP listener (notify.go).
	notifier *notify.Notifier

	// printing is the receipt printers' spool, when configured (printing.go).
	printing *printing

	// closers close what Open opened: on a failed Open, or when Run ends.
	closers closers
}

// New returns a node for cfg. It does no I/O; call Open, then Run.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.NoticeInterval == 0 {
		cfg.NoticeInterval = time.Minute
	}
	return &Node{cfg: cfg, lg: cfg.Logger}, nil
}

const dbFile = "stacks.db"

// Open creates or opens the data dir, the store and the listeners, and
// loads the demo library into an empty store when asked to. It runs the
// steps of openSteps in order; each registers what it opened with the
// node's closers, so a failed step closes what the earlier ones opened (in
// reverse order) and a node that ran closes the same way when Run ends.
func (n *Node) Open(ctx context.Context) error {
	for _, step := range n.openSteps() {
		if err := step.open(ctx); err != nil {
			n.lg.Debug("open failed; closing what was opened", "step", step.name, "err", err)
			n.close()
			return err
		}
	}
	return nil
}

// openStep is one named step of Open.
type openStep struct {
	name string
	open func(context.Context) error
}

// openSteps is the wiring of a node, in the order it is opened.
func (n *Node) openSteps() []openStep {
	return []openStep{
		{"lock", n.lockDataDir}, // one node at a time on a data dir (datadir.go)
		// a new replica's database from a peer's snapshot, when configured (snapshots.go)
		{"bootstrap", n.openBootstrap},
		{"store", n.openStore},   // identity, database, metrics
		{"domain", n.openDomain}, // op log (central's Raft proposes its ops), branch service, demo library
		{"sync", n.openSync},     // sync server, tailnet, syncer
		// snapshots for new replicas (snapshots.go)
		{"snapshots", n.openSnapshots},
		{"print", n.openPrint},  // receipt printers' spool, when configured
		{"api", n.openAPI},      // HTTP API with the node-to-node API (or its mutual-TLS listener)
		{"central", n.openRaft}, // Raft, on a central node
		{"sip2", n.openSIP2},    // the ACS for kiosks, on a branch
	}
}

// openStore loads or creates the node's identity and opens its database
// (in the data dir lockDataDir created).
func (n *Node) openStore(ctx context.Context) error {
	branchID := n.cfg.Branch
	if n.isCentral() && branchID == "" {
		branchID = CentralBranchID
	}
	if branchID == "" && n.cfg.Demo {
		if _, err := os.Stat(filepath.Join(n.cfg.DataDir, identityFile)); errors.Is(err, os.ErrNotExist) {
			branchID = demo.Branches[0].BranchID
		}
	}
	id, created, err := loadIdentity(n.cfg.DataDir, branchID, n.cfg.Rand, n.cfg.Clock.Now())
	if err != nil {
		return err
	}
	if n.isCentral() {
		id = n.centralIdentity(id)
	}
	n.id = id
	n.lg = n.lg.With("node", id.NodeHex, "branch", id.Branch)
	if created {
		n.lg.Info("created node identity", "dir", n.cfg.DataDir)
	}
	n.caps = CapabilitiesIn(n.cfg.Location)
	if n.applier, err = branch.NewApplier(n.caps...); err != nil {
		return err
	}
	// Insight's counters and the recommendations are derived after each
	// commit, in catch-up passes (catchUpLoop), not in its transaction.
	n.deferral = branch.NewDeferral()
	n.applier = n.applier.Deferring(n.deferral)
	migrations := branch.Migrations(n.caps...)
	if n.isCentral() {
		migrations = append(migrations, central.Migrations()...)
	}
	var dbopt replicate.DBOptions
	if n.isCentral() {
		dbopt = central.DBOptions()
	}
	dbopt.Clock = n.cfg.Clock // the WAL checkpointer's ticker
	if n.db, err = replicate.OpenDBOptions(ctx, filepath.Join(n.cfg.DataDir, dbFile), migrations, dbopt); err != nil {
		return err
	}
	n.closers.add(func() { n.db.Close() })
	n.contacts.clock = n.cfg.Clock
	n.metrics = newMetrics(n)
	if n.nodeClient, err = n.syncDoer(); err != nil {
		return err
	}
	return nil
}

// openDomain opens the op log (on a central node with the Raft node as its
// proposer) and the branch service over it, and loads the demo library into
// an empty store when asked to.
func (n *Node) openDomain(ctx context.Context) error {
	lcfg := replicate.DefaultConfig(n.id.NodeID)
	lcfg.Clock, lcfg.Logger, lcfg.Admit = n.cfg.Clock, n.lg, n.admit
	lcfg.ObserveBatch = n.metrics.observeBatch
	if n.isCentral() {
		if err := n.newCentral(); err != nil {
			return err
		}
		lcfg.Proposer = n.central
		n.setDigitalDecider()
		n.setHandoffDecider()
		n.setNoticesDecider()
		n.setEventsDecider()
	}
	n.log = replicate.NewLog(n.db, lcfg, n.applier)
	if err := n.log.Open(ctx); err != nil {
		return err
	}
	n.closers.add(func() { n.log.Close() })
	bcfg := branch.DefaultConfig(n.id.Branch)
	bcfg.Location, bcfg.Clock, bcfg.Rand, bcfg.Logger, bcfg.PINCost = n.cfg.Location, n.cfg.Clock, n.cfg.Rand, n.lg, n.cfg.PINCost
	bcfg.Capabilities, bcfg.Deferral = n.caps, n.deferral
	var err error
	if n.svc, err = branch.NewService(n.log, bcfg); err != nil {
		return err
	}
	n.openDigital()
	n.openNotices()
	n.openEvents()
	if !n.isCentral() {
		if err := n.maybeLoadDemo(ctx); err != nil {
			return err
		}
	}
	// The search index: rebuilt here if missing or of another version
	// (logged), kept current by the applier from now on.
	if n.search, err = search.Open(ctx, n.svc, n.lg.With("subsystem", "search"), n.cfg.Clock.Now); err != nil {
		return err
	}
	if err := recommend.Open(ctx, n.svc, n.lg.With("subsystem", "recommend")); err != nil {
		return err
	}
	if err := insight.Open(ctx, n.svc, n.cfg.Location, n.lg.With("subsystem", "insight")); err != nil {
		return err
	}
	n.searches = insight.NewSearches(n.svc, n.cfg.Location, n.cfg.Clock.Now)
	return nil
}

// openSync makes the server of the node-to-node sync API, joins the tailnet
// when configured, and makes the syncer that pulls from and pushes to the
// peers over the configured transport.
func (n *Node) openSync(context.Context) error {
	n.syncd = peersync.NewServer(n.log, n.validateOp, n.lg)
	n.closers.add(n.closeTailnet)           // leaves the tailnet, if openTailnet joined it
	if err := n.openTailnet(); err != nil { // sets the sync transport to the tailnet
		return err
	}
	transport := n.cfg.SyncTransport
	if transport == nil && n.cfg.SyncTLS.Enabled() {
		var err error
		if transport, err = n.cfg.SyncTLS.Transport(); err != nil {
			return err
		}
	}
	if transport == nil {
		transport = http.DefaultClient
	}
	transport = identifyingDoer{next: peersync.Streaming(transport), node: n.id.NodeHex, branch: n.id.Branch, version: Version}
	n.syncer = peersync.NewSyncer(n.log, peersync.SyncerConfig{Peers: n.cfg.Peers, Transport: transport,
		Validate: n.validateOp, Logger: n.lg, Clock: n.cfg.Clock, Interval: n.cfg.SyncInterval})
	n.syncd.OnRebootstrap(n.noteRebootstrap)
	if n.cfg.Compact.Enabled {
		if n.isCentral() {
			n.syncd.SetStable(n.compaction.stableVector)
		} else {
			n.syncd.SetStable(func(context.Context) replicate.VersionVector { return n.syncer.Stable() })
		}
	}
	return nil
}

// The branch service is the library every SIP2 handler asks.
var _ sip2.Library = (*branch.Service)(nil)

// validateOp refuses ops of kinds this version does not know.
func (n *Node) validateOp(op replicate.Op) error {
	if !n.applier.KnownKind(op.Kind) {
		return fmt.Errorf("unknown op kind %q (from a newer version?)", op.Kind)
	}
	return nil
}

// openAPI makes the HTTP API and its listener. The node-to-node API is
// served on the mutual-TLS listener when configured, on the tailnet when
// the node is on one, and otherwise on the HTTP API's listener.
func (n *Node) openAPI(ctx context.Context) error {
	key, err := loadClusterKey(n.cfg.ClusterKeyFile, n.cfg.DataDir, n.cfg.Rand, n.lg)
	if err != nil {
		return err
	}
	n.openFeedback()
	if err := n.openHandoff(key); err != nil {
		return err
	}
	provider, err := n.paymentProvider(ctx)
	if err != nil {
		return err
	}
	acfg := httpapi.Config{Service: n.svc, Logger: n.lg, Clock: n.cfg.Clock, Location: n.cfg.Location,
		Peers: n.syncer.Status, ClusterKey: key, Cluster: n.clusterAdmin(), Metrics: n.metrics.handler(),
		Currency: n.cfg.SIP2Currency, Digital: n.digital, Handoff: n.handoff, Search: n.search,
		Notices: n.notices, Feedback: n.feedback, Events: n.events, Help: n.help}
	if n.searches != nil {
		acfg.Searches = searchCounter{s: n.searches, branch: n.id.Branch}
	}
	if provider != nil {
		acfg.Payments = provider
	}
	if n.printing != nil {
		acfg.Printing = n.printing
	}
	api, err := httpapi.New(acfg)
	if err != nil {
		return err
	}
	root := http.NewServeMux()
	if n.cfg.SyncTLS.Enabled() {
		if err := n.listenSync(); err != nil {
			return err
		}
		n.closers.add(func() { n.syncLn.Close() })
	} else if n.tailnet == nil {
		n.registerNodeAPI(root) // the node-to-node API, versioned apart from /api/v1
	}
	root.Handle("/", api.Handler())
	// The patron web, beside the API on the same listener: its sessions
	// are signed with the cluster key, so they are valid on every node.
	wcfg := web.Config{Library: n.svc, Searcher: webSearcher{idx: n.search, svc: n.svc}, Digital: n.digital, Sessions: websession.New(n.svc), TrustedProxies: n.cfg.TrustedProxies, ClusterKey: key, Branding: n.cfg.Branding,
		Currency: n.cfg.SIP2Currency, Logger: n.lg, Rand: n.cfg.Rand, Prefs: patronprefs.New(n.svc), Privacy: privacy.New(n.svc),
		Handoffs: WebHandoffs{H: n.handoff}, Help: n.help,
		Feedback: WebFeedback{F: n.feedback}, Events: n.events}
	if n.searches != nil {
		wcfg.Searches = searchCounter{s: n.searches, branch: n.id.Branch}
	}
	wcfg.Recommend = NewWebRecommender(n.svc)
	if n.printing != nil && len(n.cfg.Printing.WelcomeFrom) > 0 {
		wcfg.Welcome = n.printing
	}
	if provider != nil {
		wcfg.Payments = provider
	}
	patronWeb, err := web.New(wcfg)
	if err != nil {
		return err
	}
	patronWeb.Register(root)
	if n.ln, err = net.Listen("tcp", n.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("node: listen %s: %w", n.cfg.HTTPAddr, err)
	}
	n.closers.add(func() { n.ln.Close() })
	if err := n.openNotify(key, root); err != nil {
		return err
	}
	api.SetLetters(n.notifier.Letters) // the staff print page (issue 17)
	n.srv = &http.Server{Handler: n.metrics.instrument(n.contacts.track(root)), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(n.lg.Handler(), slog.LevelWarn)}
	return nil
}

// openRaft starts the Raft node of a central node, once the API listens
// (the other nodes are told its URL).
func (n *Node) openRaft(ctx context.Context) error {
	if !n.isCentral() {
		return nil
	}
	n.closers.add(func() {
		if err := n.central.Close(); err != nil {
			n.lg.Warn("raft shutdown", "err", err)
		}
	})
	return n.openCentral(ctx)
}

// openSIP2 creates the SIP2 ACS and its listener, if configured.
func (n *Node) openSIP2(context.Context) error {
	if n.cfg.SIP2Addr == "" || n.isCentral() { // kiosks talk to their branch
		return nil
	}
	svc := n.svc
	// branch.CheckPIN keeps the lockout: failures are replicated ops, so
	// kiosks, the web and every other branch count the same ones.
	pins := sip2.PINVerifierFunc(func(ctx context.Context, card, pin string) error {
		_, err := svc.CheckPIN(ctx, card, pin)
		return err
	})
	scfg := sip2.DefaultConfig(svc, pins)
	scfg.Logger, scfg.RequirePIN, scfg.Observe = n.lg, n.cfg.SIP2RequirePIN, n.metrics.observeSIP2
	scfg.Handoff = SIP2Handoff{H: n.handoff}
	scfg.Events = SIP2Tickets{E: n.events}
	if n.cfg.SIP2Currency != "" {
		scfg.Currency = n.cfg.SIP2Currency
	}
	scfg.Languages = n.cfg.SIP2Languages
	scfg.Sorter = sorter(n.cfg.SortRules)
	scfg.Library = n.printingSIP2(scfg.Library) // slips after checkins
	srv, err := sip2.NewServer(scfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.cfg.SIP2Addr)
	if err != nil {
		if n.cfg.SIP2Optional {
			n.lg.Error("SIP2 server not started: kiosks cannot connect", "addr", n.cfg.SIP2Addr, "err", err)
			return nil
		}
		return fmt.Errorf("node: listen SIP2 %s: %w", n.cfg.SIP2Addr, err)
	}
	if n.cfg.SIP2CertFile != "" {
		cert, err := tls.LoadX509KeyPair(n.cfg.SIP2CertFile, n.cfg.SIP2KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("node: SIP2 TLS: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		n.sip2TLS = true
	}
	n.sip2, n.sip2Ln = srv, ln
	n.closers.add(func() { n.sip2Ln.Close() })
	return nil
}

// SIP2Addr is the SIP2 listener's address, or "".
func (n *Node) SIP2Addr() string {
	if n.sip2Ln == nil {
		return ""
	}
	return n.sip2Ln.Addr().String()
}

// advertise announces the SIP2 ACS and the HTTP API with mDNS on the
// configured interfaces. A failure is logged: kiosks can still be given
// the address by hand.
func (n *Node) advertise(ctx context.Context) {
	if len(n.cfg.MDNSIfaces) == 0 || n.sip2Ln == nil {
		return
	}
	ifaces, err := discovery.Interfaces(n.cfg.MDNSIfaces)
	if err != nil {
		n.lg.Error("mDNS not started", "err", err)
		return
	}
	inst := n.id.Branch
	name := "Stacks " + n.id.Branch
	if l, err := n.svc.Library(ctx, n.id.Branch); err == nil {
		if l.InstitutionID != "" {
			inst = l.InstitutionID
		}
		if l.Name != "" {
			name = "Stacks " + l.Name
		}
	}
	port := func(a net.Addr) int {
		if ta, ok := a.(*net.TCPAddr); ok {
			return ta.Port
		}
		return 0
	}
	info := discovery.Info{Branch: n.id.Branch, Institution: inst, TLS: n.sip2TLS, Protocol: "2.00"}
	api := discovery.Info{Branch: n.id.Branch, Institution: inst, Protocol: "v1"}
	n.mdns, err = discovery.Advertise(ifaces, "", discovery.Service{Instance: name, Type: discovery.SIP2Service, Port: port(n.sip2Ln.Addr()), Info: info},
		discovery.Service{Instance: name, Type: discovery.StacksService, Port: port(n.ln.Addr()), Info: api})
	if err != nil {
		n.lg.Error("mDNS not started", "err", err)
		return
	}
	n.lg.Info("advertising with mDNS", "ifaces", strings.Join(n.cfg.MDNSIfaces, ","), "services", discovery.SIP2Service+" "+discovery.StacksService)
	if lo := n.loopbackOnlyAdvertised(ifaces); len(lo) > 0 {
		n.lg.Warn("mDNS advertises services that listen on loopback only: other machines find them but cannot connect", "services", strings.Join(lo, ", "))
	}
}

func (n *Node) maybeLoadDemo(ctx context.Context) error {
	vv, err := n.log.VersionVector(ctx)
	if err != nil {
		return err
	}
	empty := len(vv) == 0
	var state string
	err = n.db.Read().QueryRowContext(ctx, `SELECT value FROM node_meta WHERE key='demo'`).Scan(&state)
	if err == nil && state == "loading" {
		return errors.New("node: loading the demo library was interrupted; remove the data dir and start again")
	}
	if !n.cfg.Demo || !empty {
		return nil
	}
	if err := n.setMeta(ctx, "demo", "loading"); err != nil {
		return err
	}
	n.lg.Info("loading the demo library (first start)")
	start := time.Now()
	st, err := demo.Load(ctx, n.log, demo.Options{Logger: n.lg, PINCost: n.cfg.PINCost, Rand: n.cfg.Rand,
		Now: n.cfg.Clock.Now().In(n.cfg.Location), Location: n.cfg.Location})
	if err != nil {
		return err
	}
	if err := n.loadDemoEvents(ctx); err != nil {
		return err
	}
	n.lg.Info("demo library ready", "titles", st.Titles, "items", st.Items, "patrons", st.Patrons, "loans", st.Loans,
		"took", time.Since(start).Round(time.Millisecond))
	return n.setMeta(ctx, "demo", "done")
}

func (n *Node) setMeta(ctx context.Context, k, v string) error {
	return n.log.Update(ctx, func(tx *replicate.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO node_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, k, v)
		return err
	})
}

// listenSync opens the mutual-TLS listener of the node-to-node sync API.
func (n *Node) listenSync() error {
	tcfg, err := n.cfg.SyncTLS.ServerConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", n.cfg.SyncAddr)
	if err != nil {
		return fmt.Errorf("node: listen %s: %w", n.cfg.SyncAddr, err)
	}
	mux := http.NewServeMux()
	n.registerNodeAPI(mux)
	n.syncLn = tls.NewListener(ln, tcfg)
	n.syncSrv = &http.Server{Handler: peersync.AuthorizeTLS(n.metrics.instrument(n.contacts.track(n.registryGate(mux))), n.lg), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(n.lg.Handler(), slog.LevelWarn)}
	return nil
}

// SyncAddr is the mutual-TLS sync listener's address, or "".
func (n *Node) SyncAddr() string {
	if n.syncLn == nil {
		return ""
	}
	return n.syncLn.Addr().String()
}

// Addr is the API's listen address (useful with port 0).
func (n *Node) Addr() string { return n.ln.Addr().String() }

// Service is the branch domain service.
func (n *Node) Service() *branch.Service { return n.svc }

// Identity is who this node is.
func (n *Node) Identity() Identity { return n.id }

// Run serves until ctx is done, then shuts down gracefully: in-flight
// requests finish, the op log drains, the database closes.
func (n *Node) Run(ctx context.Context) error {
	if n.srv == nil {
		return errors.New("node: Run before Open")
	}
	var wg sync.WaitGroup
	loops, stopLoops := context.WithCancel(ctx)
	if n.isCentral() {
		wg.Add(1)
		go func() { defer wg.Done(); n.bootstrapCentral(loops) }()
	} else {
		wg.Add(1)
		go func() { defer wg.Done(); n.sweepHolds(loops) }()
	}
	if n.digital.Standalone() || n.isCentral() {
		wg.Add(1)
		go func() { defer wg.Done(); n.sweepDigital(loops) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); n.searchLoop(loops) }()
	wg.Add(1)
	go func() { defer wg.Done(); n.catchUpLoop(loops) }()
	wg.Add(1)
	go func() { defer wg.Done(); n.snapshots.Run(loops) }()
	if n.searches != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.searchesLoop(loops) }()
	}
	if n.printing != nil {
		wg.Add(1)
		go func() { defer wg.Done(); n.runPrinting(loops) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); n.promoteEvents(loops) }()
	wg.Add(1)
	go func() { defer wg.Done(); n.privacyLoop(loops) }()
	if n.notices.CanSend() {
		wg.Add(1)
		go func() { defer wg.Done(); n.noticesLoop(loops) }()
	} else {
		n.lg.Info("no notice channel configured: this node sends no notices")
	}
	if n.cfg.Compact.Enabled {
		wg.Add(1)
		go func() { defer wg.Done(); n.compactLoop(loops) }()
		n.lg.Info("compacting the op log", "horizon", n.cfg.Compact.withDefaults().Horizon.String())
	}
	if len(n.cfg.Peers) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); n.syncer.Run(loops) }()
		n.lg.Info("syncing", "peers", strings.Join(n.cfg.Peers, " "))
	}

	errc := make(chan error, 3)
	go func() { errc <- n.srv.Serve(n.ln) }()
	if n.sip2 != nil {
		go func() { errc <- n.sip2.Serve(n.sip2Ln) }()
		n.lg.Info("sip2 serving", "addr", n.SIP2Addr(), "tls", n.sip2TLS, "reach", listenerReach(n.SIP2Addr(), "--sip2", "kiosks"))
		n.advertise(ctx)
	}
	if n.syncSrv != nil {
		go func() { errc <- n.syncSrv.Serve(n.syncLn) }()
		n.lg.Info("sync API serving with mutual TLS", "addr", n.SyncAddr(), "reach", listenerReach(n.SyncAddr(), "--sync-listen", "peers"))
	}
	n.serveTailnet(ctx, errc)
	n.logRaft(ctx)
	n.logNodeAPIOnHTTP(ctx)
	n.lg.Info("branchd serving", "http", "http://"+n.Addr(), "reach", listenerReach(n.Addr(), "--http", "staff desks and patrons"))
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	n.lg.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownTimeout)
	defer cancel()
	if err := n.srv.Shutdown(sctx); err != nil {
		n.lg.Warn("http shutdown", "err", err)
	}
	if n.syncSrv != nil {
		if err := n.syncSrv.Shutdown(sctx); err != nil {
			n.lg.Warn("sync shutdown", "err", err)
		}
	}
	n.shutdownTailnet(sctx)
	if n.mdns != nil {
		n.mdns.Shutdown()
	}
	if n.sip2 != nil {
		if err := n.sip2.Shutdown(sctx); err != nil {
			n.lg.Warn("sip2 shutdown", "err", err)
		}
	}
	stopLoops()
	wg.Wait()
	n.close()
	n.lg.Info("stopped")
	if errors.Is(serveErr, http.ErrServerClosed) || errors.Is(serveErr, sip2.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// close closes what Open opened, in reverse order (see closers).
func (n *Node) close() { n.closers.run() }

// sweepHolds expires uncollected holds on this branch's shelf now and then.
func (n *Node) sweepHolds(ctx context.Context) {
	t, tick := n.cfg.Clock.NewTicker(n.cfg.HoldSweep)
	defer t.Stop()
	for {
		actor := domain.WithActor(ctx, domain.Actor{ID: "hold-sweeper", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
		if hs, err := n.svc.ExpireHolds(actor); err != nil && ctx.Err() == nil {
			n.lg.Warn("hold sweep failed", "err", err)
		} else if len(hs) > 0 {
			n.lg.Info("expired uncollected holds", "count", len(hs))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// searchLoop keeps the search index caught up with applied ops (every few
// seconds, so a search seldom has to) and, once a day, lets loans older
// than twelve months stop counting towards a title's popularity.
func (n *Node) searchLoop(ctx context.Context) {
	t, tick := n.cfg.Clock.NewTicker(5 * time.Second)
	defer t.Stop()
	var recounted time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		var err error
		if now := n.cfg.Clock.Now(); now.Sub(recounted) >= 24*time.Hour {
			err, recounted = n.search.RecountPopularity(ctx), now
		} else {
			err = n.search.CatchUp(ctx)
		}
		if err != nil && ctx.Err() == nil {
			n.lg.Warn("search catch-up failed", "err", err)
		}
	}
}

// catchUpLoop derives insight's counters and the recommendations from the
// ops committed since the last pass: woken by each commit that noted some,
// and every few seconds to retry a pass that failed (branch.Deferral).
func (n *Node) catchUpLoop(ctx context.Context) {
	t, tick := n.cfg.Clock.NewTicker(5 * time.Second)
	defer t.Stop()
	n.svc.RunCatchUp(ctx, tick, func() <-chan time.Time {
		_, c := n.cfg.Clock.NewTimer(catchUpSettle)
		return c
	})
}

// catchUpSettle is how long the catch-up loop lets notes gather after a
// commit before its pass (branch.Service.RunCatchUp): well inside the gap
// between a quiet desk's checkouts, and a dozen back-to-back checkouts'
// worth, derived in one commit.
const catchUpSettle = 20 * time.Millisecond

// Run opens and runs a node until ctx is done.
func Run(ctx context.Context, cfg Config) error {
	n, err := New(cfg)
	if err != nil {
		return err
	}
	if err := n.Open(ctx); err != nil {
		return err
	}
	return n.Run(ctx)
}

// Capabilities are the branch capabilities a node runs: the applier, the
// migrations, the service and the API get the same list. It counts
// insight's days in the machine's zone; a node passes its library's
// (CapabilitiesIn).
func Capabilities() []branch.Capability { return CapabilitiesIn(time.Local) }

// CapabilitiesIn are the branch capabilities of a node of a library in the
// time zone loc.
func CapabilitiesIn(loc *time.Location) []branch.Capability {
	caps := []branch.Capability{audit.Capability(), imports.Capability(), digital.Capability(), patronprefs.Capability(), handoff.Capability(), search.Capability(),
		websession.Capability(), notices.Capability(), help.Capability(), feedback.Capability(), recommend.Capability(), events.Capability(),
		insight.Capability(loc)}
	return append(caps, privacy.Capability(caps...))
}
