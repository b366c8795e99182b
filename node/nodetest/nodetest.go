// Package nodetest starts real nodes in a test's process: opened, serving
// on 127.0.0.1, stopped when the test ends.
package nodetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"stacks/node"
)

// Start opens and runs a node for cfg until the test ends.
func Start(t testing.TB, cfg node.Config) *node.Node {
	t.Helper()
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
	t.Cleanup(func() { cancel(); <-done })
	return n
}

// CentralConfig is a central node id in dir/id on loopback ports, sharing
// dir/cluster.key, with staff account admin/admin on the bootstrap node.
func CentralConfig(dir, id string, bootstrap bool) node.Config {
	cfg := node.DefaultConfig()
	cfg.Role, cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = node.RoleCentral, filepath.Join(dir, id), "127.0.0.1:0", 4
	cfg.ClusterKeyFile = filepath.Join(dir, "cluster.key")
	cfg.Central = node.CentralConfig{RaftAddr: "127.0.0.1:0", RaftID: id, Bootstrap: bootstrap, AdminPassword: "admin",
		HeartbeatTimeout: time.Second, ElectionTimeout: time.Second}
	return cfg
}
