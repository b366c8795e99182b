package node_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// startCentrals starts a real three-node Raft central in dir (c1 leads, c2
// and c3 join; dir/cluster.key is the cluster key) and answers the nodes
// and their API URLs, the leader's first. with, if set, changes each node's
// config before it starts.
func startCentrals(t *testing.T, dir string, with func(*node.Config)) ([]*node.Node, []string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "cluster.key"), bytes.Repeat([]byte{7}, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	config := func(id string, bootstrap bool) node.Config {
		cfg := nodetest.CentralConfig(dir, id, bootstrap)
		if with != nil {
			with(&cfg)
		}
		return cfg
	}
	c1 := startNode(t, config("c1", true))
	u1 := "http://" + c1.Addr()
	var ri apitype.RaftInfo
	eventually(t, 30*time.Second, "c1 leads", func() bool {
		return apiDo(t, "GET", u1+"/api/v1/cluster/raft", nil, &ri) == 200 && ri.State == "leader"
	})
	centrals, peers := []*node.Node{c1}, []string{u1}
	for _, id := range []string{"c2", "c3"} {
		c := startNode(t, config(id, false))
		m := apitype.CentralMember{ID: id, RaftAddr: c.RaftAddr(), URL: "http://" + c.Addr()}
		eventually(t, 30*time.Second, id+" joins", func() bool { return apiDo(t, "POST", u1+"/api/v1/cluster/members", m, nil) == 204 })
		centrals, peers = append(centrals, c), append(peers, "http://"+c.Addr())
	}
	return centrals, peers
}
