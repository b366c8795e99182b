package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"stacks/replicate/tailnet"
)

// Default tailnet ports: the sync API on 80, so a peer is simply
// http://<hostname>; the central Raft transport on 7400.
const (
	defaultTailnetSyncPort   = 80
	defaultTailnetStreamPort = 7400
)

func (t TailnetConfig) withDefaults() TailnetConfig {
	if t.SyncPort == 0 {
		t.SyncPort = defaultTailnetSyncPort
	}
	if t.StreamPort == 0 {
		t.StreamPort = defaultTailnetStreamPort
	}
	if len(t.AcceptTags) == 0 {
		t.AcceptTags = tailnet.DefaultAcceptTags()
	}
	if len(t.StreamTags) == 0 {
		t.StreamTags = []string{tailnet.TagCentral}
	}
	return t
}

// nodeTailnet is the node's presence on the tailnet: the sync API served
// there, and the stream listener of the central Raft transport, opened on
// first use.
type nodeTailnet struct {
	cfg     TailnetConfig
	ts      *tailnet.Server
	syncLn  net.Listener
	syncSrv *http.Server

	streamOnce sync.Once
	streamLn   net.Listener
	streamErr  error
}

// openTailnet joins the tailnet when configured: it starts the tsnet node
// (without waiting for the control server: a branch lends offline), serves
// the sync API on the tailnet only, behind WhoIs authorisation by tag, and
// makes the tailnet the syncer's transport unless the config names one.
// Called by Open before the syncer is made.
func (n *Node) openTailnet() error {
	if !n.cfg.Tailnet.Enabled {
		return nil
	}
	tc := n.cfg.Tailnet.withDefaults()
	host := tc.Hostname
	if host == "" {
		host = "stacks-" + strings.ToLower(n.id.Branch)
	}
	ts, err := tailnet.New(tailnet.Config{Dir: filepath.Join(n.cfg.DataDir, "tailnet"), Hostname: host, AuthKey: tc.AuthKey,
		ControlURL: tc.ControlURL, AdvertiseTags: tc.AdvertiseTags, Ephemeral: tc.Ephemeral, Store: tc.Store, Logger: n.lg})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if err := ts.Start(); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	t := &nodeTailnet{cfg: tc, ts: ts}
	n.tailnet = t // closed by close() from here on
	auth, err := ts.Authorizer(tc.AcceptTags)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if t.syncLn, err = ts.Listen(tc.SyncPort); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	mux := http.NewServeMux()
	n.registerNodeAPI(mux)
	t.syncSrv = &http.Server{Handler: auth.Wrap(n.metrics.instrument(n.contacts.track(n.registryGate(mux)))), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(n.lg.Handler(), slog.LevelWarn)}
	if n.cfg.SyncTransport == nil {
		n.cfg.SyncTransport = ts.HTTPClient()
	}
	n.lg.Info("joining the tailnet", "hostname", host, "control", tc.ControlURL, "sync_port", tc.SyncPort,
		"accept_tags", strings.Join(tc.AcceptTags, ","))
	return nil
}

// serveTailnet serves the sync API on the tailnet until shutdown, and logs
// once the node is on the tailnet (which may be much later, or never while
// the control server is unreachable).
func (n *Node) serveTailnet(ctx context.Context, errc chan<- error) {
	t := n.tailnet
	if t == nil {
		return
	}
	go func() {
		err := t.syncSrv.Serve(t.syncLn)
		if !errors.Is(err, http.ErrServerClosed) {
			n.lg.Error("tailnet sync API stopped", "err", err)
		}
		select {
		case errc <- err:
		default:
		}
	}()
	go func() {
		st, err := t.ts.Up(ctx)
		if err != nil {
			if ctx.Err() == nil {
				n.lg.Error("not on the tailnet", "err", err)
			}
			return
		}
		ips := make([]string, len(st.IPs))
		for i, ip := range st.IPs {
			ips[i] = ip.String()
		}
		n.lg.Info("on the tailnet; sync API serving there", "name", st.Name, "ips", strings.Join(ips, ","), "port", t.cfg.SyncPort)
	}()
}

// shutdownTailnet stops the tailnet sync API, letting requests finish.
func (n *Node) shutdownTailnet(ctx context.Context) {
	if n.tailnet == nil {
		return
	}
	if err := n.tailnet.syncSrv.Shutdown(ctx); err != nil {
		n.lg.Warn("tailnet sync shutdown", "err", err)
	}
}

// closeTailnet leaves the tailnet, closing every listener on it.
func (n *Node) closeTailnet() {
	if n.tailnet == nil {
		return
	}
	if err := n.tailnet.ts.Close(); err != nil {
		n.lg.Warn("leaving the tailnet", "err", err)
	}
}

// tailnetStream is a listener and a dialer on the tailnet for the central
// Raft transport: the listener is on the stream port (default 7400) and
// admits only callers tagged with StreamTags (default tag:stacks-central);
// the dialer reaches other nodes' stream ports ("stacks-central-2:7400").
// ok is false without a tailnet. Every call returns the same listener;
// it closes when the node leaves the tailnet (or when its user closes it).
func (n *Node) tailnetStream() (ln net.Listener, dial func(ctx context.Context, network, addr string) (net.Conn, error), ok bool) {
	t := n.tailnet
	if t == nil {
		return nil, nil, false
	}
	t.streamOnce.Do(func() {
		var auth *tailnet.Authorizer
		if auth, t.streamErr = t.ts.Authorizer(t.cfg.StreamTags); t.streamErr != nil {
			return
		}
		var raw net.Listener
		if raw, t.streamErr = t.ts.Listen(t.cfg.StreamPort); t.streamErr != nil {
			return
		}
		t.streamLn = auth.Listener(raw)
	})
	if t.streamErr != nil {
		n.lg.Error("no tailnet stream listener", "port", t.cfg.StreamPort, "err", t.streamErr)
		return nil, nil, false
	}
	return t.streamLn, t.ts.Dial, true
}
