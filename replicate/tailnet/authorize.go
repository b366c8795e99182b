package tailnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"tailscale.com/client/local"
	"tailscale.com/client/tailscale/apitype"
)

// WhoIser says which tailnet node and user are behind a remote address
// ("100.64.0.3:41234"); *local.Client is one.
type WhoIser interface {
	WhoIs(ctx context.Context, remoteAddr string) (*apitype.WhoIsResponse, error)
}

var _ WhoIser = (*local.Client)(nil)

// Errors of Authorizer.Check.
var (
	// ErrNotTagged: the caller is a node of the tailnet without an
	// accepted tag (a laptop, a phone, a node of another service).
	ErrNotTagged = errors.New("tailnet: caller carries none of the accepted tags")
	// ErrUnknownPeer: the address is no node of the tailnet.
	ErrUnknownPeer = errors.New("tailnet: caller is not a known tailnet node")
)

// Peer is who called, as the tailnet says.
type Peer struct {
	Addr     string   // remote address of the connection
	Hostname string   // the node's host name ("stacks-east")
	Name     string   // its MagicDNS name ("stacks-east.tail1234.ts.net")
	Tags     []string // its ACL tags ("tag:stacks-branch")
	User     string   // the login of an untagged node's owner, "" for tagged nodes
	NodeID   string   // the stable node ID
}

// HasTag reports whether the peer carries tag.
func (p Peer) HasTag(tag string) bool { return slices.Contains(p.Tags, tag) }

// String names the peer for logs and messages.
func (p Peer) String() string {
	name := p.Hostname
	if name == "" {
		name = p.Name
	}
	if name == "" {
		name = "?"
	}
	return fmt.Sprintf("%s (%s)", name, p.Addr)
}

type peerKey struct{}

// PeerFromContext is the tailnet caller of a request admitted by an
// Authorizer.
func PeerFromContext(ctx context.Context) (Peer, bool) {
	p, ok := ctx.Value(peerKey{}).(Peer)
	return p, ok
}

// Authorizer admits callers whose tailnet node carries one of its tags.
type Authorizer struct {
	who  WhoIser
	tags []string
	lg   *slog.Logger
	seen sync.Map // node IDs already logged as admitted
}

// NewAuthorizer admits callers tagged with any of tags (none: the default
// tags of Stacks nodes).
func NewAuthorizer(who WhoIser, tags []string, logger *slog.Logger) *Authorizer {
	if len(tags) == 0 {
		tags = DefaultAcceptTags()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Authorizer{who: who, tags: slices.Clone(tags), lg: logger}
}

// Tags are the accepted tags.
func (a *Authorizer) Tags() []string { return slices.Clone(a.tags) }

// Check asks the tailnet who is behind remoteAddr and whether it may call.
// The Peer is filled in as far as it is known, also on refusal.
func (a *Authorizer) Check(ctx context.Context, remoteAddr string) (Peer, error) {
	p := Peer{Addr: remoteAddr}
	res, err := a.who.WhoIs(ctx, remoteAddr)
	switch {
	case errors.Is(err, local.ErrPeerNotFound):
		return p, ErrUnknownPeer
	case err != nil:
		return p, fmt.Errorf("tailnet: whois %s: %w", remoteAddr, err)
	case res == nil || res.Node == nil:
		return p, ErrUnknownPeer
	}
	n := res.Node
	p.Name = strings.TrimSuffix(n.Name, ".")
	p.Tags = slices.Clone(n.Tags)
	p.NodeID = string(n.StableID)
	if n.Hostinfo.Valid() {
		p.Hostname = n.Hostinfo.Hostname()
	}
	if p.Hostname == "" {
		p.Hostname, _, _ = strings.Cut(p.Name, ".")
	}
	if !n.IsTagged() && res.UserProfile != nil {
		p.User = res.UserProfile.LoginName
	}
	for _, t := range a.tags {
		if p.HasTag(t) {
			return p, nil
		}
	}
	return p, ErrNotTagged
}

// Wrap admits only authorised callers to next, which finds the caller with
// PeerFromContext. Anyone else gets 403 and a problem+json body saying why,
// and a log line naming the caller.
func (a *Authorizer) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Check(r.Context(), r.RemoteAddr)
		if err == nil {
			if _, again := a.seen.LoadOrStore(p.NodeID, true); !again {
				a.lg.Info("tailnet caller admitted", "peer", p.String(), "name", p.Name, "tags", strings.Join(p.Tags, ","))
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), peerKey{}, p)))
			return
		}
		tags := strings.Join(p.Tags, ",")
		if tags == "" {
			tags = "none"
		}
		switch {
		case errors.Is(err, ErrNotTagged):
			a.lg.Warn("tailnet caller refused: not tagged as a Stacks node", "peer", p.String(), "name", p.Name,
				"tags", tags, "user", p.User, "path", r.URL.Path)
			problem(w, http.StatusForbidden, "peer_not_authorized", fmt.Sprintf(
				"tailnet node %s carries tags [%s]; this API admits only nodes tagged %s",
				p, tags, strings.Join(a.tags, " or ")))
		case errors.Is(err, ErrUnknownPeer):
			a.lg.Warn("tailnet caller refused: unknown node", "peer", p.String(), "path", r.URL.Path)
			problem(w, http.StatusForbidden, "peer_not_authorized", fmt.Sprintf(
				"%s is not a node of this tailnet", r.RemoteAddr))
		default:
			a.lg.Error("tailnet caller not identified", "peer", p.String(), "err", err)
			problem(w, http.StatusServiceUnavailable, "peer_unidentified", "cannot ask the tailnet who is calling; try again")
		}
	})
}

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status),
		"status": status, "code": code, "detail": detail})
}

// Listener admits only authorised callers' connections from ln: others are
// logged and closed as they arrive, and Accept goes on to the next one.
// For stream protocols (the central Raft transport) that have no status to
// answer with.
func (a *Authorizer) Listener(ln net.Listener) net.Listener {
	return &authListener{Listener: ln, a: a}
}

type authListener struct {
	net.Listener
	a *Authorizer
}

func (l *authListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p, err := l.a.Check(ctx, c.RemoteAddr().String())
		cancel()
		if err == nil {
			return c, nil
		}
		l.a.lg.Warn("tailnet connection refused", "peer", p.String(), "name", p.Name, "tags", strings.Join(p.Tags, ","),
			"port", l.Addr().String(), "err", err)
		c.Close()
	}
}
