package node_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"stacks/node"
	"stacks/node/nodetest"
)

// TestDataDirTakenOnce: a second node opened on a data dir in use stops at
// once with an error naming the process that holds it, and leaves the
// running node's files alone; once the first has stopped, it opens.
func TestDataDirTakenOnce(t *testing.T) {
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Branch, cfg.Demo = filepath.Join(t.TempDir(), "main"), "127.0.0.1:0", 4, "MAIN", false
	_, stop := startStoppable(t, cfg)

	second, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = second.Open(context.Background())
	want := fmt.Sprintf("in use by process %d", os.Getpid())
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("a second node on the same data dir: %v, want an error saying %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "stacks.db")); err != nil {
		t.Fatalf("the running node's database: %v", err)
	}

	stop()
	nodetest.Start(t, cfg) // the dir is free again
}
