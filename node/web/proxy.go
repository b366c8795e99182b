package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// A branchd may sit behind a reverse proxy that terminates TLS (a library's
// web front, a load balancer). It then sees the proxy as the peer of every
// request and plain HTTP. Config.TrustedProxies names such proxies: only
// from a peer in one of them is X-Forwarded-Proto believed (https makes
// the cookies Secure) and X-Forwarded-For used for the client's address
// (the login and registration rate limits key on it). From any other peer
// both headers are ignored, so a client cannot claim another address to
// slip past the rate limit.

// peerAddr is the TCP peer's address.
func peerAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(r.RemoteAddr)
	return a.Unmap(), err == nil
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// viaTrustedProxy reports whether the request's peer is a trusted proxy.
func (s *Server) viaTrustedProxy(r *http.Request) bool {
	a, ok := peerAddr(r)
	return ok && s.trusted(a)
}

// overTLS reports whether the browser reached us over TLS: this
// listener's own, or a trusted proxy's that says X-Forwarded-Proto: https.
func (s *Server) overTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !s.viaTrustedProxy(r) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

// clientAddr is the address a request came from: the TCP peer, or, when
// the peer is a trusted proxy, the nearest address in X-Forwarded-For that
// is not a trusted proxy (each proxy appends the address it saw, so the
// entries left of the last untrusted one may be forged).
func (s *Server) clientAddr(r *http.Request) string {
	peer, ok := peerAddr(r)
	if !ok {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
	if !s.trusted(peer) {
		return peer.String()
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing left of it
		}
		client = a.Unmap()
		if !s.trusted(client) {
			break
		}
	}
	return client.String()
}
