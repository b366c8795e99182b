package node_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"stacks/node"
	"stacks/node/nodetest"
)

// TestSearchCountsWrittenAtShutdown: searches on the patron web and API
// are counted in memory and written when the node stops, so the node
// reopened reports them.
func TestSearchCountsWrittenAtShutdown(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = filepath.Join(t.TempDir(), "n"), "127.0.0.1:0", 4
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	base := "http://" + n.Addr()
	for _, u := range []string{"/search?q=the", "/api/v1/biblios?q=the"} {
		resp, err := http.Get(base + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	n2 := nodetest.Start(t, cfg)
	var rep struct {
		Total struct {
			Searches int `json:"searches"`
		} `json:"total"`
	}
	getJSON(t, "http://"+n2.Addr()+"/api/v1/insights", &rep)
	if rep.Total.Searches != 2 {
		t.Errorf("searches after a restart %d, want 2", rep.Total.Searches)
	}
}
