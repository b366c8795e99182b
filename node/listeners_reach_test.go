package node

import (
	"net"
	"strings"
	"testing"
)

func TestListenerReach(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:6001", "loopback only: pass --sip2 ADDR to serve kiosks on the LAN"},
		{"[::1]:6001", "loopback only: pass --sip2 ADDR to serve kiosks on the LAN"},
		{"localhost:6001", "loopback only: pass --sip2 ADDR to serve kiosks on the LAN"},
		{":6001", "every interface: kiosks on the LAN can connect"},
		{"0.0.0.0:6001", "every interface: kiosks on the LAN can connect"},
		{"[::]:6001", "every interface: kiosks on the LAN can connect"},
		{"10.0.0.5:6001", "this address only: kiosks that reach it can connect"},
		{"[fe80::1%eth0]:6001", "this address only: kiosks that reach it can connect"},
	} {
		if got := listenerReach(tc.addr, "--sip2", "kiosks"); got != tc.want {
			t.Errorf("listenerReach(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestLoopbackOnlyAdvertised: advertising on a LAN interface a service that
// listens on loopback only is worth a warning; on the loopback interface
// it is not.
func TestLoopbackOnlyAdvertised(t *testing.T) {
	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		return ln
	}
	n := &Node{sip2Ln: listen(), ln: listen()}
	lo := net.Interface{Name: "lo", Flags: net.FlagUp | net.FlagLoopback}
	eth := net.Interface{Name: "eth0", Flags: net.FlagUp | net.FlagMulticast}
	if got := n.loopbackOnlyAdvertised([]net.Interface{lo}); got != nil {
		t.Errorf("on lo: %q, want none", got)
	}
	if got, want := strings.Join(n.loopbackOnlyAdvertised([]net.Interface{lo, eth}), ", "), "sip2 (--sip2), http (--http)"; got != want {
		t.Errorf("on lo and eth0: %q, want %q", got, want)
	}
}
