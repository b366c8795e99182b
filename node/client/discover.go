package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/grandcat/zeroconf"
)

// ServiceType is the mDNS service a branch appliance advertises its API as.
const ServiceType = "_stacks._tcp"

// FallbackURL is where a staff terminal looks when nothing is advertised:
// the appliance on the same machine.
const FallbackURL = "http://127.0.0.1:8080"

// DefaultDiscoverTimeout is how long Discover browses before giving up.
const DefaultDiscoverTimeout = 1500 * time.Millisecond

// DiscoverConfig says where and how long to browse.
type DiscoverConfig struct {
	// Timeout bounds the browse; 0 means DefaultDiscoverTimeout.
	Timeout time.Duration
	// Interfaces to browse on; nil means every multicast interface.
	Interfaces []net.Interface
	// Branch, when set, accepts only an appliance whose TXT says branch=Branch.
	Branch string
}

// Appliance is a branch appliance found over mDNS.
type Appliance struct {
	Instance string
	Branch   string
	URL      string
	TXT      map[string]string
}

// ErrNotFound is returned by Discover when no appliance answered in time.
var ErrNotFound = errors.New("client: no appliance advertised " + ServiceType)

// Discover browses mDNS for a _stacks._tcp service whose TXT record names a
// branch (branch=ID) and returns the first found. Its URL is
// scheme://address:port: https if the TXT says tls=true or scheme=https,
// else http; the first advertised IPv4 address, else IPv6, else the host
// name.
func Discover(ctx context.Context, cfg DiscoverConfig) (*Appliance, error) {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultDiscoverTimeout
	}
	var opts []zeroconf.ClientOption
	if cfg.Interfaces != nil {
		opts = append(opts, zeroconf.SelectIfaces(cfg.Interfaces))
	}
	res, err := zeroconf.NewResolver(opts...)
	if err != nil {
		return nil, fmt.Errorf("client: mDNS: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	entries := make(chan *zeroconf.ServiceEntry, 8)
	if err := res.Browse(ctx, ServiceType, "local.", entries); err != nil {
		return nil, fmt.Errorf("client: mDNS browse: %w", err)
	}
	// The resolver closes entries once ctx is done; drain it so that its
	// loop never blocks on a send after we stop listening.
	defer func() {
		cancel()
		for range entries {
		}
	}()
	for {
		select {
		case e, ok := <-entries:
			if !ok {
				return nil, ErrNotFound
			}
			if a := applianceOf(e); a != nil && (cfg.Branch == "" || a.Branch == cfg.Branch) {
				return a, nil
			}
		case <-ctx.Done():
			return nil, ErrNotFound
		}
	}
}

// applianceOf reads one service entry; nil if it is not a branch appliance.
func applianceOf(e *zeroconf.ServiceEntry) *Appliance {
	txt := map[string]string{}
	for _, kv := range e.Text {
		k, v, _ := strings.Cut(kv, "=")
		txt[strings.ToLower(k)] = v
	}
	if txt["branch"] == "" || e.Port <= 0 {
		return nil
	}
	var host string
	switch {
	case len(e.AddrIPv4) > 0:
		host = e.AddrIPv4[0].String()
	case len(e.AddrIPv6) > 0:
		host = e.AddrIPv6[0].String()
	case e.HostName != "":
		host = strings.TrimSuffix(e.HostName, ".")
	default:
		return nil
	}
	scheme := "http"
	if txt["scheme"] == "https" || txt["tls"] == "true" {
		scheme = "https"
	}
	return &Appliance{Instance: strings.ReplaceAll(e.Instance, `\ `, " "), Branch: txt["branch"], TXT: txt,
		URL: scheme + "://" + net.JoinHostPort(host, strconv.Itoa(e.Port))}
}

// Locate returns the API URL to use: explicit if given, else an appliance
// found over mDNS, else FallbackURL. The second result says how it was
// found, for the user.
func Locate(ctx context.Context, explicit string, cfg DiscoverConfig) (string, string) {
	if explicit != "" {
		return explicit, "given with --api"
	}
	a, err := Discover(ctx, cfg)
	if err != nil {
		return FallbackURL, "no appliance advertised over mDNS (" + err.Error() + "); using " + FallbackURL
	}
	return a.URL, "found branch " + a.Branch + " over mDNS (" + a.Instance + ")"
}
