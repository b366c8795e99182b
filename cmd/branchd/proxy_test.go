package main

import (
	"net/netip"
	"testing"
)

// --trusted-proxy takes CIDRs and addresses, repeated; anything else is
// refused with a clear error.
func TestTrustedProxyFlag(t *testing.T) {
	cfg, err := parseFlags([]string{"--trusted-proxy", "10.1.0.0/16", "--trusted-proxy", "192.168.1.7", "--trusted-proxy", "fd00::1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::1/128")}
	if len(cfg.TrustedProxies) != len(want) {
		t.Fatalf("got %v", cfg.TrustedProxies)
	}
	for i := range want {
		if cfg.TrustedProxies[i] != want[i] {
			t.Errorf("proxy %d = %v, want %v", i, cfg.TrustedProxies[i], want[i])
		}
	}
	if _, err := parseFlags([]string{"--trusted-proxy", "proxy.example"}); err == nil {
		t.Fatal("a host name was taken as a trusted proxy")
	}
	cfg, err = parseFlags(nil)
	if err != nil || len(cfg.TrustedProxies) != 0 {
		t.Fatalf("default trusted proxies %v, %v", cfg.TrustedProxies, err)
	}
}
