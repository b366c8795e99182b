package node

import "testing"

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
