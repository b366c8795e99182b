package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"stacks/replicate/replicatetest"
)

// TestCentralLeaderKilledWhileBranchesLend is the central site's process
// test: 'stacks demo-cluster' starts three central branchd processes under
// Raft and two branches; while both branches lend, the Raft leader is
// killed with SIGKILL. A new leader must be elected, both branches' loans
// must reach the surviving central nodes, the killed node must restart and
// catch up, and all five nodes must end with equal state hashes and every
// acknowledged loan.
func TestCentralLeaderKilledWhileBranchesLend(t *testing.T) {
	if testing.Short() {
		t.Skip("process test: starts five branchd processes")
	}
	bin := filepath.Join(t.TempDir(), "branchd")
	if out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, "stacks/cmd/branchd").CombinedOutput(); err != nil {
		t.Fatalf("build branchd: %v\n%s", err, out)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo-cluster", "--central", "3", "--branches", "2", "--dir", dir, "--branchd", bin, "--sync-interval", "300ms"}, &out, &errs)
	}()
	var restarted *exec.Cmd
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("demo-cluster did not stop")
		}
		if restarted != nil && restarted.Process != nil {
			restarted.Process.Signal(syscall.SIGTERM)
			restarted.Wait()
		}
	})
	poll(t, 180*time.Second, "the demo cluster to come up", func() bool {
		select {
		case err := <-done:
			t.Fatalf("demo-cluster exited: %v\n%s\n%s", err, out.String(), errs.String())
		default:
		}
		return strings.Contains(out.String(), "The library system is up")
	})
	var cf ClusterFile
	b, err := os.ReadFile(filepath.Join(dir, "cluster.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cf); err != nil {
		t.Fatal(err)
	}
	var centrals, branches []ClusterNode
	for _, n := range cf.Nodes {
		if n.Role == "central" {
			centrals = append(centrals, n)
		} else {
			branches = append(branches, n)
		}
	}
	if len(centrals) != 3 || len(branches) != 2 || branches[0].NodeID == "" || centrals[0].PID == 0 {
		t.Fatalf("cluster.json: %+v", cf)
	}
	all := append(append([]ClusterNode{}, centrals...), branches...)
	waitEqualHashes(t, all, 120*time.Second)

	// What there is to lend: the demo library's patrons and items.
	var patrons []struct {
		ID string `json:"patron_id"`
	}
	adminGet(t, branches[0].URL+"/api/v1/patrons?_per_page=100", &patrons)
	var items []struct {
		Barcode string `json:"external_id"`
		ID      string `json:"item_id"`
	}
	adminGet(t, branches[0].URL+"/api/v1/items?status=available&_per_page=200", &items)
	if len(patrons) < 10 || len(items) < 100 {
		t.Fatalf("demo data: %d patrons, %d items", len(patrons), len(items))
	}

	leader := leaderOf(t, centrals)
	// Both branches lend; each has its own half of the items.
	var mu sync.Mutex
	acked := map[string]string{} // loan ID -> branch
	lendCtx, stopLending := context.WithCancel(context.Background())
	defer stopLending()
	var wg sync.WaitGroup
	counts := make([]int, len(branches))
	killed := make(chan struct{})
	lend := func(bi int, br ClusterNode, i int) {
		body := fmt.Sprintf(`{"patron_id":%q,"item_id":%q}`, patrons[i%len(patrons)].ID, items[i].ID)
		code, resp := adminDo(http.MethodPost, br.URL+"/api/v1/checkouts", body)
		if code != http.StatusCreated {
			return // a rule refused it (limits, blocks): not acknowledged
		}
		var l struct {
			ID string `json:"checkout_id"`
		}
		json.Unmarshal(resp, &l)
		mu.Lock()
		acked[l.ID] = br.Library
		counts[bi]++
		mu.Unlock()
	}
	elected := make(chan struct{})
	third := len(items) / 3
	for bi, br := range branches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A third of the items until the leader dies (lending goes on
			// while it dies), a third during the election, a third after.
			i := bi
			for ; i < third && lendCtx.Err() == nil; i += len(branches) {
				select {
				case <-killed:
					i = third
				default:
					lend(bi, br, i)
				}
			}
			for phase, gate := range []chan struct{}{killed, elected} {
				select {
				case <-gate:
				case <-lendCtx.Done():
				}
				for i = (phase+1)*third + bi; i < (phase+2)*third && lendCtx.Err() == nil; i += len(branches) {
					lend(bi, br, i)
				}
			}
		}()
	}
	poll(t, 60*time.Second, "some loans before the kill", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return counts[0] >= 5 && counts[1] >= 5
	})
	if err := syscall.Kill(leader.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(killed)
	t.Logf("killed the leader %s (pid %d)", leader.ID, leader.PID)
	var survivors []ClusterNode
	for _, c := range centrals {
		if c.ID != leader.ID {
			survivors = append(survivors, c)
		}
	}
	var newLeader ClusterNode
	poll(t, 60*time.Second, "a new leader", func() bool {
		for _, c := range survivors {
			var ri struct {
				State string `json:"state"`
			}
			if adminGetCode(c.URL+"/api/v1/cluster/raft", &ri) == http.StatusOK && ri.State == "leader" {
				newLeader = c
				return true
			}
		}
		return false
	})
	t.Logf("new leader %s", newLeader.ID)
	mu.Lock()
	before := counts[0] + counts[1]
	mu.Unlock()
	close(elected)
	poll(t, 60*time.Second, "loans after the election", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return counts[0]+counts[1] >= before+10
	})
	stopLending()
	wg.Wait()

	// The killed node comes back from its own disk and catches up.
	restarted = exec.Command(cf.Branchd, leader.Args...)
	logf, err := os.OpenFile(leader.Log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	t.Cleanup(func() {
		if t.Failed() {
			restarted.Process.Signal(syscall.SIGQUIT) // a Go process prints its goroutines
			restarted.Wait()
			if b, err := os.ReadFile(leader.Log); err == nil {
				t.Logf("log of the restarted %s (last 16 KB):\n%s", leader.ID, b[max(0, len(b)-16384):])
			}
		}
	})
	restarted.Stdout, restarted.Stderr = logf, logf
	if err := restarted.Start(); err != nil {
		t.Fatal(err)
	}
	waitEqualHashes(t, all, 120*time.Second)

	// Every acknowledged loan is on every node.
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d loans acknowledged (%d at %s, %d at %s)", len(acked), counts[0], branches[0].Library, counts[1], branches[1].Library)
	for id := range acked {
		for _, n := range all {
			if code := adminGetCode(n.URL+"/api/v1/checkouts/"+id, nil); code != http.StatusOK {
				t.Fatalf("loan %s is missing on %s (%d)", id, n.ID, code)
			}
		}
	}
	// And central IT sees a healthy system.
	var st struct {
		Healthy bool `json:"healthy"`
		Central []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"central"`
	}
	poll(t, 30*time.Second, "a healthy cluster status", func() bool {
		return adminGetCode(newLeader.URL+"/api/v1/cluster/status", &st) == http.StatusOK && st.Healthy
	})
}

func leaderOf(t *testing.T, centrals []ClusterNode) ClusterNode {
	t.Helper()
	var leader ClusterNode
	poll(t, 30*time.Second, "a leader", func() bool {
		for _, c := range centrals {
			var ri struct {
				State string `json:"state"`
			}
			if adminGetCode(c.URL+"/api/v1/cluster/raft", &ri) == http.StatusOK && ri.State == "leader" {
				leader = c
				return true
			}
		}
		return false
	})
	return leader
}

// waitEqualHashes waits until every node reports the same state hash.
func waitEqualHashes(t *testing.T, nodes []ClusterNode, timeout time.Duration) {
	t.Helper()
	var last []string
	poll(t, timeout, "equal state hashes", func() bool {
		last = last[:0]
		seen := map[string]bool{}
		for _, n := range nodes {
			var st struct {
				Hash string `json:"state_hash"`
			}
			if adminGetCode(n.URL+"/api/v1/cluster/state", &st) != http.StatusOK {
				last = append(last, n.ID+": unreachable")
				return false
			}
			last = append(last, n.ID+": "+st.Hash)
			seen[st.Hash] = true
		}
		return len(seen) == 1
	}, func() string { return strings.Join(last, "\n") })
}

func adminDo(method, url, body string) (int, []byte) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth("admin", "admin")
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func adminGetCode(url string, v any) int {
	code, b := adminDo(http.MethodGet, url, "")
	if code == http.StatusOK && v != nil {
		if json.Unmarshal(b, v) != nil {
			return 0
		}
	}
	return code
}

func adminGet(t *testing.T, url string, v any) {
	t.Helper()
	if code := adminGetCode(url, v); code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
}

// poll waits for cond with a deadline (no fixed sleeps as waits).
func poll(t *testing.T, timeout time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			msg := ""
			for _, d := range detail {
				msg += "\n" + d()
			}
			t.Fatalf("timed out after %s waiting for %s%s", timeout, what, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncBuffer collects output from many goroutines.
type syncBuffer = replicatetest.SyncBuffer
