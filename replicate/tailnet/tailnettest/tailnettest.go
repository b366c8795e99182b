// Package tailnettest runs a whole tailnet inside a test, with nothing on
// the internet: tailscale's test control server, and a DERP relay and STUN
// server, all on 127.0.0.1. Nodes log in without an auth key, and get the
// tags they advertise (as a tagged auth key would give them).
package tailnettest

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"tailscale.com/ipn/store/mem"
	"tailscale.com/net/netns"
	"tailscale.com/tailcfg"
	"tailscale.com/tstest/integration"
	"tailscale.com/tstest/integration/testcontrol"
	"tailscale.com/types/logger"

	"stacks/replicate/tailnet"
)

// Control is a running test control server with its DERP and STUN servers.
type Control struct {
	URL    string
	Server *testcontrol.Server
}

// verbose shows tailscale's own logs (control, DERP, tsnet backend).
var verbose = os.Getenv("STACKS_TAILNET_VERBOSE") != ""

// Start runs a control server, DERP and STUN until the test ends. Tests
// that use it must not run in parallel with tests that need the host's
// network namespace handling (it turns tailscale's netns off, as
// tailscale's own tests do).
func Start(tb testing.TB, tags ...string) *Control {
	tb.Helper()
	netns.SetEnabled(false)
	tb.Cleanup(func() { netns.SetEnabled(true) })
	logf := logger.Discard
	if verbose {
		logf = tb.Logf
	}
	derpMap := integration.RunDERPAndSTUN(tb, logf, "127.0.0.1")
	owners := map[string][]string{tailnet.TagBranch: nil, tailnet.TagCentral: nil}
	for _, t := range tags {
		owners[t] = nil
	}
	srv := &testcontrol.Server{
		DERPMap:        derpMap,
		DNSConfig:      &tailcfg.DNSConfig{Proxied: true},
		MagicDNSDomain: "stacks.ts.net",
		// With TagOwners set, a node that registers asking for tags
		// (tsnet's AdvertiseTags) gets them.
		TagOwners: owners,
		Logf:      logf,
	}
	srv.HTTPTestServer = httptest.NewUnstartedServer(srv)
	srv.HTTPTestServer.Start()
	tb.Cleanup(srv.HTTPTestServer.Close)
	return &Control{URL: srv.HTTPTestServer.URL, Server: srv}
}

// Config is a tailnet config for a node of this control: ephemeral, state
// in memory, logging to the test.
func (c *Control) Config(tb testing.TB, hostname string, tags ...string) tailnet.Config {
	tb.Helper()
	return tailnet.Config{
		Dir:           tb.TempDir(),
		Hostname:      hostname,
		ControlURL:    c.URL,
		AdvertiseTags: tags,
		Ephemeral:     true,
		Store:         new(mem.Store),
		Logger:        Logger(tb),
	}
}

// Logger logs to the test until it ends (tailscale's goroutines may log
// a little after; that is dropped rather than a panic).
func Logger(tb testing.TB) *slog.Logger {
	w := &testWriter{tb: tb}
	tb.Cleanup(w.stop)
	lvl := slog.LevelInfo
	if verbose {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

type testWriter struct {
	mu   sync.Mutex
	tb   testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
