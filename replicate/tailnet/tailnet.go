// Package tailnet carries node-to-node traffic over the library's tailnet:
// a Tailscale node inside the process (tailscale.com/tsnet: no tailscaled,
// no TUN device, no root), listeners and a dialer on it, and authorisation
// of callers by the tags their tailnet node carries (see Authorizer).
//
// The tailnet may be coordinated by Tailscale or by a self-hosted control
// server such as Headscale (Config.ControlURL). Log upload to Tailscale is
// always disabled; tsnet's own logs go to the node's slog logger.
package tailnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"tailscale.com/client/local"
	"tailscale.com/ipn"
	"tailscale.com/logtail"
	"tailscale.com/tsnet"
)

// The tags that mark Stacks nodes on a tailnet. The tailnet's policy must
// let the auth key (or the node) carry them ("tagOwners").
const (
	TagBranch  = "tag:stacks-branch"
	TagCentral = "tag:stacks-central"
)

// DefaultAcceptTags are the tags of callers admitted to the sync API.
func DefaultAcceptTags() []string { return []string{TagBranch, TagCentral} }

// Config says how a node joins the tailnet.
type Config struct {
	// Dir holds the node's tailnet state (keys, login) unless Store is set,
	// and tsnet's small bookkeeping files. Required.
	Dir string
	// Hostname is the node's name on the tailnet (MagicDNS). Required.
	Hostname string
	// AuthKey logs a new node in (a pre-authorised, usually tagged key). It
	// is needed only for the first start; later starts use the stored state.
	AuthKey string
	// ControlURL is the coordination server; empty means Tailscale's.
	ControlURL string
	// AdvertiseTags are tags the node asks for; control grants them only if
	// the policy lets it. A tagged auth key is the usual way instead.
	AdvertiseTags []string
	// Ephemeral registers a node that control forgets once it goes away
	// (tests, throw-away nodes).
	Ephemeral bool
	// Store, when set, keeps the tailnet state instead of a file in Dir
	// (tests use an in-memory store with Ephemeral).
	Store ipn.StateStore
	// Logger receives tsnet's messages: what an operator should see at
	// info, the backend's chatter at debug.
	Logger *slog.Logger
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("tailnet: no state directory")
	case c.Hostname == "":
		return errors.New("tailnet: no hostname")
	case strings.ContainsAny(c.Hostname, " ./:"):
		return fmt.Errorf("tailnet: bad hostname %q", c.Hostname)
	}
	for _, t := range c.AdvertiseTags {
		if !strings.HasPrefix(t, "tag:") {
			return fmt.Errorf("tailnet: tag %q must start with \"tag:\"", t)
		}
	}
	return nil
}

// Server is this process's node on the tailnet.
type Server struct {
	cfg Config
	lg  *slog.Logger
	ts  *tsnet.Server

	mu      sync.Mutex
	started bool
}

// New returns a tailnet node for cfg. It does no I/O; call Start.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	lg = lg.With("subsystem", "tailnet")
	ts := &tsnet.Server{
		Dir:           cfg.Dir,
		Store:         cfg.Store,
		Hostname:      cfg.Hostname,
		AuthKey:       cfg.AuthKey,
		ControlURL:    cfg.ControlURL,
		AdvertiseTags: cfg.AdvertiseTags,
		Ephemeral:     cfg.Ephemeral,
		// What a user should see (login URLs, state changes).
		UserLogf: func(format string, args ...any) {
			lg.Info(strings.TrimSpace(fmt.Sprintf(format, args...)))
		},
	}
	if lg.Enabled(context.Background(), slog.LevelDebug) {
		// The backend's logs are verbose; formatting them costs, so only
		// when someone reads them.
		blg := lg.With("tsnet", "backend")
		ts.Logf = func(format string, args ...any) {
			blg.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)))
		}
	}
	return &Server{cfg: cfg, lg: lg, ts: ts}, nil
}

// Start brings the node up in the background and returns at once: the
// tailnet may be unreachable (a branch lends offline), and dials wait for it.
// It disables tsnet's log upload for the whole process.
func (s *Server) Start() error {
	logtail.Disable()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ts.Start(); err != nil {
		return fmt.Errorf("tailnet: start: %w", err)
	}
	s.started = true
	return nil
}

// Status is what the node is on the tailnet once up.
type Status struct {
	Name string       // MagicDNS name
	IPs  []netip.Addr // tailnet addresses
}

// Up starts the node if needed and waits until it is on the tailnet.
func (s *Server) Up(ctx context.Context) (Status, error) {
	if err := s.Start(); err != nil {
		return Status{}, err
	}
	st, err := s.ts.Up(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("tailnet: up: %w", err)
	}
	out := Status{IPs: st.TailscaleIPs}
	if st.Self != nil {
		out.Name = strings.TrimSuffix(st.Self.DNSName, ".")
	}
	return out, nil
}

// Listen listens on the node's tailnet addresses only, on port.
func (s *Server) Listen(port int) (net.Listener, error) {
	if err := s.Start(); err != nil {
		return nil, err
	}
	ln, err := s.ts.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, fmt.Errorf("tailnet: listen :%d: %w", port, err)
	}
	return ln, nil
}

// Dial connects to addr (a tailnet host name or address, and a port) over
// the tailnet. It waits for the node to be up, within ctx.
func (s *Server) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return s.ts.Dial(ctx, network, addr)
}

// HTTPClient sends requests over the tailnet (a peersync.Doer). WireGuard
// already encrypts and authenticates the link, so URLs are plain http://.
func (s *Server) HTTPClient() *http.Client {
	tr := &http.Transport{DialContext: s.Dial, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second}
	return &http.Client{Transport: tr, Timeout: 120 * time.Second}
}

// LocalClient answers questions about the tailnet, such as WhoIs.
func (s *Server) LocalClient() (*local.Client, error) {
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s.ts.LocalClient()
}

// Authorizer admits callers whose tailnet node carries one of tags.
func (s *Server) Authorizer(tags []string) (*Authorizer, error) {
	lc, err := s.LocalClient()
	if err != nil {
		return nil, err
	}
	return NewAuthorizer(lc, tags, s.lg), nil
}

// Close leaves the tailnet and closes every listener on it.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		return nil
	}
	s.started = false
	return s.ts.Close()
}
