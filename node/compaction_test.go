package node_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// TestCompactionInCluster: a central node and a branch, both compacting. A
// second branch registered but never heard from holds compaction back
// until the horizon passes; then both nodes fold away what the two hold,
// the cluster status names the silent replica (JSON and page), the
// branch's own log is compacted too, and the state stays equal through
// more lending.
func TestCompactionInCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a central node and a branch, restarted: slow")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.key"), bytes.Repeat([]byte{7}, 32), 0o600)
	// The cluster forms and the branch catches up without compaction (with
	// it on from the start, central would compact its first ops before the
	// branch is registered, and a new branch must then bootstrap from a
	// snapshot); then both restart compacting.
	ccfg := nodetest.CentralConfig(dir, "c1", true)
	c1, stopC1 := startStoppable(t, ccfg)
	u1 := "http://" + c1.Addr()
	var ri apitype.RaftInfo
	eventually(t, 30*time.Second, "c1 leads", func() bool {
		return apiDo(t, "GET", u1+"/api/v1/cluster/raft", nil, &ri) == 200 && ri.State == "leader"
	})
	bcfg := node.DefaultConfig()
	bcfg.DataDir, bcfg.HTTPAddr, bcfg.PINCost, bcfg.SyncInterval = filepath.Join(dir, "main"), "127.0.0.1:0", 4, 100*time.Millisecond
	bcfg.ClusterKeyFile = filepath.Join(dir, "cluster.key")
	bcfg.Peers = []string{u1}
	main, stopMain := startStoppable(t, bcfg)
	apiDo(t, "PUT", u1+"/api/v1/libraries/MAIN", map[string]any{"name": "Central Library"}, nil)
	const ghost = "00000000000000aa"
	for _, id := range []string{main.Identity().NodeHex, ghost} {
		if code := apiDo(t, "PUT", u1+"/api/v1/cluster/nodes/"+id, map[string]any{"library_id": "MAIN"}, nil); code != 200 {
			t.Fatalf("register %s: %d", id, code)
		}
	}
	converged(t, []string{u1, "http://" + main.Addr()}, 60*time.Second)
	raftAddr := c1.RaftAddr()
	stopMain()
	stopC1()

	compact := node.CompactConfig{Enabled: true, Every: 100 * time.Millisecond, Horizon: 3 * time.Second, Batch: 500}
	ccfg.Compact, ccfg.HTTPAddr = compact, strings.TrimPrefix(u1, "http://")
	ccfg.Central.Bootstrap, ccfg.Central.RaftAddr = false, raftAddr
	c1, _ = startStoppable(t, ccfg)
	bcfg.Compact = compact
	main, _ = startStoppable(t, bcfg)
	urls := []string{u1, "http://" + main.Addr()}
	converged(t, urls, 60*time.Second)

	var st apitype.ClusterStatus
	eventually(t, 60*time.Second, "central to exclude the silent replica and compact", func() bool {
		apiDo(t, "GET", u1+"/api/v1/cluster/status", nil, &st)
		return st.Compaction != nil && len(st.Compaction.Excluded) == 1 && st.Compaction.CompactedOps > 1000
	})
	if st.Compaction.Excluded[0] != ghost {
		t.Fatalf("excluded %v", st.Compaction.Excluded)
	}
	var ghostProblems []string
	for _, b := range st.Branches {
		if b.NodeID == ghost {
			ghostProblems = b.Problems
		}
	}
	if !strings.Contains(strings.Join(ghostProblems, " "), "compaction horizon") || st.Healthy {
		t.Fatalf("the silent replica is not marked: %v", ghostProblems)
	}
	var page string
	if code := apiDo(t, "GET", u1+"/status", nil, &page); code != 200 || !strings.Contains(page, "Silent past the horizon") || !strings.Contains(page, ghost) {
		t.Fatalf("status page %d lacks compaction:\n%s", code, page)
	}
	resp, err := http.Get(u1 + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(mb, []byte("\nstacks_ops_compacted_total ")) || bytes.Contains(mb, []byte("\nstacks_ops_compacted_total 0\n")) {
		t.Error("metrics lack the compacted ops")
	}
	// The branch learned the stable vector and compacted its own log.
	ctx := context.Background()
	eventually(t, 30*time.Second, "the branch to compact", func() bool {
		floors, err := main.Service().Log().CompactedVector(ctx)
		return err == nil && floors[main.Identity().NodeID] > 1000
	})
	// More lending after compaction; the state stays equal.
	actor := domain.WithActor(ctx, domain.Actor{ID: "test", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
	p, err := main.Service().RegisterPatron(actor, domain.NewPatron{Cardnumber: "77770001", Firstname: "After", Surname: "Compaction", Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := main.Service().UpdatePatron(actor, p.PatronID, domain.PatronUpdate{Surname: ptr("Compacted")}); err != nil {
		t.Fatal(err)
	}
	converged(t, urls, 60*time.Second)
}

func ptr[T any](v T) *T { return &v }

// startStoppable runs a node until stop is called (or the test ends).
func startStoppable(t *testing.T, cfg node.Config) (*node.Node, func()) {
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
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return n, stop
}
