package node_test

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// raftLastIndex is a central node's last Raft index, from its metrics.
func raftLastIndex(t *testing.T, base string) uint64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "stacks_raft_last_index "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return uint64(f)
		}
	}
	t.Fatal("no stacks_raft_last_index in the metrics")
	return 0
}

// TestCentralAuditedWriteIsOneRaftEntry: at central, an audited write (a
// closed day through the API) and its audit record are one Raft entry.
func TestCentralAuditedWriteIsOneRaftEntry(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.key"), bytes.Repeat([]byte{7}, 32), 0o600)
	c1 := startNode(t, nodetest.CentralConfig(dir, "c1", true))
	u1 := "http://" + c1.Addr()
	var ri apitype.RaftInfo
	eventually(t, 30*time.Second, "c1 leads", func() bool {
		return apiDo(t, "GET", u1+"/api/v1/cluster/raft", nil, &ri) == 200 && ri.State == "leader"
	})
	if code := apiDo(t, "PUT", u1+"/api/v1/libraries/MAIN", map[string]any{"name": "Central Library", "institution_id": "STACKS"}, nil); code != 200 {
		t.Fatalf("put library: %d", code)
	}
	closeDay := func(day int) {
		t.Helper()
		body := map[string]any{"library_id": "MAIN", "date": "2027-01-" + strconv.Itoa(10+day), "reason": "Inventory"}
		if code := apiDo(t, "PUT", u1+"/api/v1/calendar/closed", body, nil); code >= 300 {
			t.Fatalf("close a day: %d", code)
		}
	}
	closeDay(0) // the route's first change: its answer is learned
	for day := 1; day <= 3; day++ {
		before := raftLastIndex(t, u1)
		closeDay(day)
		if n := raftLastIndex(t, u1) - before; n != 1 {
			t.Errorf("closed day %d: %d Raft entries, want 1", day, n)
		}
	}
	var es []struct {
		Action, Outcome string
	}
	if code := apiDo(t, "GET", u1+"/api/v1/audit?actor=admin", nil, &es); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	var closed int
	for _, e := range es {
		if e.Action == "PUT /api/v1/calendar/closed" && e.Outcome == "200" {
			closed++
		}
	}
	if closed != 4 {
		t.Errorf("%d records of closed days, want 4: %+v", closed, es)
	}
}
