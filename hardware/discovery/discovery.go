// Package discovery advertises a branch appliance on the LAN with mDNS /
// DNS-SD (github.com/grandcat/zeroconf) and finds it from a kiosk or a desk:
// the SIP2 ACS as _sip2._tcp, the HTTP API as _stacks._tcp.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/grandcat/zeroconf"
)

// Service types.
const (
	SIP2Service   = "_sip2._tcp"
	StacksService = "_stacks._tcp"
	Domain        = "local."
	// ProtocolVersion is the version in our TXT records.
	ProtocolVersion = "1"
)

// Info is what an appliance says about itself in TXT records.
type Info struct {
	Branch      string // branch ID
	Institution string // SIP2 institution ID
	TLS         bool
	// Protocol is the service's protocol (SIP2 "2.00", or the API version).
	Protocol string
}

// TXT renders info as TXT records (key=value).
func (i Info) TXT() []string {
	return []string{"branch=" + i.Branch, "institution=" + i.Institution, "tls=" + boolString(i.TLS),
		"protocol=" + i.Protocol, "txtvers=" + ProtocolVersion}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// ParseTXT reads Info from TXT records.
func ParseTXT(txt []string) Info {
	var i Info
	for _, kv := range txt {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "branch":
			i.Branch = v
		case "institution":
			i.Institution = v
		case "tls":
			i.TLS = v == "1" || v == "true"
		case "protocol":
			i.Protocol = v
		}
	}
	return i
}

// Interfaces resolves interface names; "*" (or none) means every up,
// multicast-capable interface.
func Interfaces(names []string) ([]net.Interface, error) {
	if len(names) == 0 || len(names) == 1 && names[0] == "*" {
		all, err := net.Interfaces()
		if err != nil {
			return nil, err
		}
		var out []net.Interface
		for _, ifi := range all {
			if ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagMulticast != 0 {
				out = append(out, ifi)
			}
		}
		if len(out) == 0 {
			return nil, errors.New("discovery: no multicast interface is up")
		}
		return out, nil
	}
	var out []net.Interface
	for _, n := range names {
		ifi, err := net.InterfaceByName(strings.TrimSpace(n))
		if err != nil {
			return nil, fmt.Errorf("discovery: interface %q: %w", n, err)
		}
		out = append(out, *ifi)
	}
	return out, nil
}

// Advertiser holds registered services until Shutdown.
type Advertiser struct {
	servers []*zeroconf.Server
}

// Service is one service to advertise.
type Service struct {
	Instance string // e.g. "Stacks MAIN"
	Type     string // SIP2Service or StacksService
	Port     int
	Info     Info
}

// Advertise registers services on ifaces. On ordinary interfaces the host's
// addresses on them are announced (zeroconf.Register); a loopback interface
// announces its loopback addresses (zeroconf skips those otherwise), which
// is useful on a single machine and in tests.
func Advertise(ifaces []net.Interface, host string, svcs ...Service) (*Advertiser, error) {
	a := &Advertiser{}
	if host == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "stacks"
		}
		host = h
	}
	loop := false
	var ips []string
	for _, ifi := range ifaces {
		if ifi.Flags&net.FlagLoopback != 0 {
			loop = true
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil, err
		}
		for _, ad := range addrs {
			if ipn, ok := ad.(*net.IPNet); ok && ipn.IP.To4() != nil {
				ips = append(ips, ipn.IP.String())
			}
		}
	}
	for _, s := range svcs {
		var srv *zeroconf.Server
		var err error
		if loop {
			if len(ips) == 0 {
				err = errors.New("no IPv4 address on the interfaces")
			} else {
				srv, err = zeroconf.RegisterProxy(s.Instance, s.Type, Domain, s.Port, host, ips, s.Info.TXT(), ifaces)
			}
		} else {
			srv, err = zeroconf.Register(s.Instance, s.Type, Domain, s.Port, s.Info.TXT(), ifaces)
		}
		if err != nil {
			a.Shutdown()
			return nil, fmt.Errorf("discovery: advertise %s: %w", s.Type, err)
		}
		a.servers = append(a.servers, srv)
	}
	return a, nil
}

// Shutdown withdraws the services (sending goodbye packets).
func (a *Advertiser) Shutdown() {
	for _, s := range a.servers {
		s.Shutdown()
	}
	a.servers = nil
}

// Found is one appliance found by Browse.
type Found struct {
	Instance string
	Host     string
	Addrs    []net.IP
	Port     int
	Info     Info
}

// Addr is host:port of the first address.
func (f Found) Addr() string {
	if len(f.Addrs) == 0 {
		return net.JoinHostPort(strings.TrimSuffix(f.Host, "."), strconv.Itoa(f.Port))
	}
	return net.JoinHostPort(f.Addrs[0].String(), strconv.Itoa(f.Port))
}

// Browse looks for service on ifaces (nil: all) and calls found for each
// appliance until ctx is done or found returns false.
func Browse(ctx context.Context, ifaces []net.Interface, service string, found func(Found) bool) error {
	var opts []zeroconf.ClientOption
	if len(ifaces) > 0 {
		opts = append(opts, zeroconf.SelectIfaces(ifaces))
	}
	opts = append(opts, zeroconf.SelectIPTraffic(zeroconf.IPv4))
	r, err := zeroconf.NewResolver(opts...)
	if err != nil {
		return fmt.Errorf("discovery: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entries := make(chan *zeroconf.ServiceEntry, 16)
	if err := r.Browse(ctx, service, Domain, entries); err != nil {
		return fmt.Errorf("discovery: browse %s: %w", service, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-entries:
			if !ok {
				return nil
			}
			if e == nil || e.Port == 0 {
				continue
			}
			addrs := append([]net.IP(nil), e.AddrIPv4...)
			sort.Slice(addrs, func(i, j int) bool { return addrs[i].String() < addrs[j].String() })
			f := Found{Instance: strings.ReplaceAll(e.Instance, `\ `, " "), Host: e.HostName, Addrs: addrs, Port: e.Port, Info: ParseTXT(e.Text)}
			if !found(f) {
				return nil
			}
		}
	}
}

// Find returns the first appliance offering service whose branch is branch
// (any branch if empty).
func Find(ctx context.Context, ifaces []net.Interface, service, branch string) (Found, error) {
	var got Found
	ok := false
	err := Browse(ctx, ifaces, service, func(f Found) bool {
		if branch == "" || f.Info.Branch == branch {
			got, ok = f, true
			return false
		}
		return true
	})
	if err != nil {
		return Found{}, err
	}
	if !ok {
		if branch != "" {
			return Found{}, fmt.Errorf("discovery: no %s appliance for branch %s found", service, branch)
		}
		return Found{}, fmt.Errorf("discovery: no %s appliance found", service)
	}
	return got, nil
}
