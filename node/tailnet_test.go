package node_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/replicate/tailnet"
	"stacks/replicate/tailnet/tailnettest"
)

// TestSyncOverTailnet, fully offline (tailscale's test control server, a
// DERP relay and STUN on 127.0.0.1): a central node and two branches join
// the tailnet as tsnet nodes; the branches sync with central only, over the
// tailnet, and all three converge, both ways. A tailnet node without a
// Stacks tag is refused by the WhoIs check with 403; the sync API is not on
// the LAN listener; central's stream listener (for Raft) admits central
// nodes only.
func TestSyncOverTailnet(t *testing.T) {
	if testing.Short() {
		t.Skip("tsnet nodes and a control server: not in -short")
	}
	start := time.Now()
	ctl := tailnettest.Start(t)
	dir := t.TempDir()
	lg := tailnettest.Logger(t)
	open := func(name string, demo bool, tag string, peers ...string) *node.Node {
		cfg := node.DefaultConfig()
		cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.SIP2Addr = filepath.Join(dir, name), "127.0.0.1:0", 4, ""
		cfg.Branch, cfg.Demo, cfg.Logger = name, demo, lg.With("test_node", name)
		ts := ctl.Config(t, "stacks-"+strings.ToLower(name), tag)
		cfg.Tailnet = node.TailnetConfig{Enabled: true, ControlURL: ctl.URL, Hostname: ts.Hostname, AdvertiseTags: ts.AdvertiseTags,
			Ephemeral: true, Store: ts.Store}
		cfg.Peers, cfg.SyncInterval = peers, 100*time.Millisecond
		return startNode(t, cfg)
	}
	central := open("CENTRAL", false, tailnet.TagCentral)
	main := open("MAIN", true, tailnet.TagBranch, "http://stacks-central")
	east := open("EAST", false, tailnet.TagBranch, "http://stacks-central")
	t.Logf("three nodes open in %s", time.Since(start).Round(time.Millisecond))
	nodes := []*node.Node{central, main, east}
	h1 := sameState(t, nodes, 90*time.Second)
	t.Logf("converged over the tailnet in %s", time.Since(start).Round(time.Millisecond))

	// A loan at EAST reaches MAIN through central.
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "clerk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	if _, err := east.Service().Checkout(ctx, domain.CheckoutRequest{Cardnumber: "21000000000001", Barcode: "39000000000002"}); err != nil {
		t.Fatalf("checkout at EAST: %v", err)
	}
	if h2 := sameState(t, nodes, 60*time.Second); h2 == h1 {
		t.Error("the loan at EAST did not change the converged state")
	}

	// The sync API is on the tailnet only, not on the LAN listener.
	resp, err := http.Post("http://"+central.Addr()+"/sync/v1/pull", "application/json", strings.NewReader(`{"vector":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("sync served on the LAN HTTP listener")
	}

	// A node of the tailnet without a Stacks tag (a laptop) is refused.
	laptop, err := tailnet.New(ctl.Config(t, "alices-laptop"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { laptop.Close() })
	upCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := laptop.Up(upCtx); err != nil {
		t.Fatal(err)
	}
	var code int
	var body []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := laptop.HTTPClient().Post("http://stacks-central/sync/v1/pull", "application/json", strings.NewReader(`{"vector":{}}`))
		if err == nil {
			code = resp.StatusCode
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the laptop cannot reach central at all: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // poll: the laptop's key reaches central's netmap
	}
	var p struct{ Code, Detail string }
	if code != http.StatusForbidden || json.Unmarshal(body, &p) != nil || p.Code != "peer_not_authorized" ||
		!strings.Contains(p.Detail, "alices-laptop") {
		t.Errorf("an untagged tailnet node got %d %s", code, body)
	}

	// Central's stream listener (the Raft transport) admits central nodes
	// only: a branch's connection is closed.
	ln, _, ok := central.TailnetStream()
	if !ok {
		t.Fatal("no tailnet stream on central")
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	if ln2, _, _ := central.TailnetStream(); ln2 != ln {
		t.Error("a second call made a second listener")
	}
	_, dial, ok := east.TailnetStream()
	if !ok {
		t.Fatal("no tailnet stream on EAST")
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	c, err := dial(dctx, "tcp", "stacks-central:7400")
	if err == nil {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "ping\n")
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil || line != "" {
			t.Errorf("a branch got an answer from central's stream port: %q %v", line, err)
		}
	}
	t.Logf("whole test %s", time.Since(start).Round(time.Millisecond))
}

// sameState waits until every node has the same state hash, read from the
// node itself (the HTTP API's cluster state needs a login).
func sameState(t *testing.T, nodes []*node.Node, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var hashes []string
		for _, n := range nodes {
			h, err := n.Service().StateHash(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, h)
		}
		if hashes[0] != "" && !slices.ContainsFunc(hashes, func(h string) bool { return h != hashes[0] }) {
			return hashes[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no convergence within %s: %v", within, hashes)
		}
		time.Sleep(50 * time.Millisecond) // poll
	}
}

// TestTailnetUnreachableStillWorks: with the control server unreachable
// (a branch's link is down) and the tailnet state kept in a file under the
// data dir (as in production), the node opens at once, serves the staff
// API, and shuts down promptly.
func TestTailnetUnreachableStillWorks(t *testing.T) {
	if testing.Short() {
		t.Skip("tsnet: not in -short")
	}
	dead := freeAddr(t) // nothing listens here
	dir := t.TempDir()
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.SIP2Addr = dir, "127.0.0.1:0", 4, ""
	cfg.Branch, cfg.Demo, cfg.Logger = "EAST", false, tailnettest.Logger(t)
	cfg.Tailnet = node.TailnetConfig{Enabled: true, ControlURL: "http://" + dead, AdvertiseTags: []string{tailnet.TagBranch}}
	cfg.Peers, cfg.SyncInterval = []string{"http://stacks-central"}, 100*time.Millisecond
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := n.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open took %s without a control server", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	resp, err := http.Get("http://" + n.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
	actor := domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	if err := n.Service().SetLibrary(actor, domain.Library{BranchID: "EAST", Name: "East", HoldShelfDays: 7}); err != nil {
		t.Errorf("a write while the tailnet is unreachable: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown within 30 s with the tailnet unreachable")
	}
	if fi, err := os.Stat(filepath.Join(dir, "tailnet", "tailscaled.state")); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("tailnet state not kept privately under the data dir: %v %v", fi, err)
	}
	t.Logf("open, serve and shut down in %s", time.Since(start).Round(time.Millisecond))
}
