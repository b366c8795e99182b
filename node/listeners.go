package node

import (
	"context"
	"log/slog"
	"net"
	"strings"
)

// This file says in the startup log where each service listens and who can
// reach it. A demo appliance has known logins (the README prints them), so
// every listener defaults to loopback and says how to open it to the LAN.

// listenerReach says who can connect to a listener on hostport: loopback
// only (and the flag that serves the LAN instead), every interface, or one
// address. who is the listener's clients ("kiosks"); flag is branchd's flag
// that sets its address.
func listenerReach(hostport, flag, who string) string {
	switch {
	case isLoopback(hostport):
		return "loopback only: pass " + flag + " ADDR to serve " + who + " on the LAN"
	case isUnspecified(hostport):
		return "every interface: " + who + " on the LAN can connect"
	default:
		return "this address only: " + who + " that reach it can connect"
	}
}

// isLoopback reports whether hostport (a listener's address, or a listen
// address as configured) is on the loopback interface only.
func isLoopback(hostport string) bool {
	host := hostOf(hostport)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isUnspecified reports whether hostport listens on every interface
// (":6001", "0.0.0.0:6001", "[::]:6001").
func isUnspecified(hostport string) bool {
	host := hostOf(hostport)
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

func hostOf(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // an IPv6 zone
		host = host[:i]
	}
	return host
}

// logNodeAPIOnHTTP says that the node-to-node API (sync, and central's
// propose and membership calls) is served on the HTTP API's listener
// without authentication: fine on loopback and in tests, a warning when
// other machines can reach it.
func (n *Node) logNodeAPIOnHTTP(ctx context.Context) {
	if n.syncSrv != nil || n.tailnet != nil {
		return // on the mutual-TLS listener or the tailnet, authenticated
	}
	lvl := slog.LevelInfo
	if !isLoopback(n.Addr()) {
		lvl = slog.LevelWarn
	}
	can := "pull and push ops"
	if n.isCentral() {
		can = "pull and push ops, propose Raft entries and change the Raft membership"
	}
	n.lg.Log(ctx, lvl, "node-to-node API serving on the HTTP listener", "addr", n.Addr(),
		"auth", "none: whoever reaches this listener can "+can+"; between machines use --tailnet or --sync-listen with mutual TLS")
}

// logRaft says where a central node's Raft transport listens. Raft over
// plain TCP authenticates no one: off loopback it is a warning, as whoever
// reaches it can take part in elections and replication.
func (n *Node) logRaft(ctx context.Context) {
	if !n.isCentral() || n.tailnet != nil {
		return // on the tailnet, Raft callers are admitted by tag
	}
	addr := n.cfg.Central.withDefaults().RaftAddr
	lvl := slog.LevelInfo
	if !isLoopback(addr) {
		lvl = slog.LevelWarn
	}
	n.lg.Log(ctx, lvl, "raft serving", "addr", addr, "advertise", n.RaftAddr(),
		"reach", listenerReach(addr, "--raft", "the other central nodes"),
		"auth", "none: plain TCP; between machines use --tailnet")
}

// loopbackOnlyAdvertised names the services advertised on a network
// interface (not the loopback one) that listen on loopback only: machines
// that find them over mDNS cannot connect.
func (n *Node) loopbackOnlyAdvertised(ifaces []net.Interface) []string {
	lan := false
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback == 0 {
			lan = true
		}
	}
	if !lan {
		return nil
	}
	var names []string
	if n.sip2Ln != nil && isLoopback(n.SIP2Addr()) {
		names = append(names, "sip2 (--sip2)")
	}
	if n.ln != nil && isLoopback(n.Addr()) {
		names = append(names, "http (--http)")
	}
	return names
}
