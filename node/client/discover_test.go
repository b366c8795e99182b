package client_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/grandcat/zeroconf"

	"stacks/node/client"
)

// loopback is the loopback interface, where a test can advertise without
// root (zeroconf.Register skips loopback addresses; RegisterProxy does not).
func loopback(t *testing.T) net.Interface {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 && i.Flags&net.FlagUp != 0 {
			return i
		}
	}
	t.Skip("no loopback interface")
	return net.Interface{}
}

func advertise(t *testing.T, lo net.Interface, instance string, port int, txt []string) {
	t.Helper()
	srv, err := zeroconf.RegisterProxy(instance, client.ServiceType, "local.", port, "stacks-test-"+instance,
		[]string{"127.0.0.1"}, txt, []net.Interface{lo})
	if err != nil {
		t.Skipf("cannot advertise over mDNS on loopback here: %v", err)
	}
	t.Cleanup(srv.Shutdown)
}

func TestDiscover(t *testing.T) {
	if testing.Short() {
		t.Skip("mDNS browse takes a second or two")
	}
	lo := loopback(t)
	// A service without branch= is someone else's and must be skipped.
	advertise(t, lo, "not-a-branch", 9999, []string{"version=1"})
	advertise(t, lo, "branch-east", 18123, []string{"branch=EAST", "version=1"})
	advertise(t, lo, "branch-west", 18124, []string{"branch=WEST", "tls=true"})
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		a, err := client.Discover(ctx, client.DiscoverConfig{Interfaces: []net.Interface{lo}, Timeout: 5 * time.Second, Branch: "EAST"})
		if err != nil {
			t.Fatal(err)
		}
		if a.Branch != "EAST" || a.URL != "http://127.0.0.1:18123" {
			t.Errorf("found %+v", a)
		}
	})
	t.Run("TLS", func(t *testing.T) {
		a, err := client.Discover(ctx, client.DiscoverConfig{Interfaces: []net.Interface{lo}, Timeout: 5 * time.Second, Branch: "WEST"})
		if err != nil {
			t.Fatal(err)
		}
		if a.URL != "https://127.0.0.1:18124" {
			t.Errorf("found %+v", a)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := client.Discover(ctx, client.DiscoverConfig{Interfaces: []net.Interface{lo}, Timeout: 500 * time.Millisecond, Branch: "NORTH"})
		if !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
		url, how := client.Locate(ctx, "", client.DiscoverConfig{Interfaces: []net.Interface{lo}, Timeout: 300 * time.Millisecond, Branch: "NORTH"})
		if url != client.FallbackURL {
			t.Errorf("Locate = %s (%s)", url, how)
		}
	})
	t.Run("Explicit", func(t *testing.T) {
		url, _ := client.Locate(ctx, "http://10.0.0.5:8080", client.DiscoverConfig{})
		if url != "http://10.0.0.5:8080" {
			t.Errorf("Locate = %s", url)
		}
	})
}
