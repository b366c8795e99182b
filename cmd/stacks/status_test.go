package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/node/apitype"
)

var update = flag.Bool("update", false, "rewrite golden files")

// sickCluster has a lagging, leaderless-looking central node, an
// unreachable one, a healthy branch, one that never synced and one far
// behind with conflicts.
func sickCluster() *apitype.ClusterStatus {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	recent, stale := at.Add(-3*time.Second), at.Add(-17*time.Minute)
	return &apitype.ClusterStatus{Node: "c1", Role: "central", Cluster: "stacks", At: at, Healthy: false, ConflictsOpen: 2,
		Central: []apitype.CentralNode{
			{ID: "c1", URL: "http://10.0.0.1:8080", Reachable: true, State: "leader", Term: 4, LastIndex: 9120, CommitIndex: 9120, AppliedIndex: 9120,
				LeaderID: "c1", Peers: []string{"c1", "c2", "c3"}, Problems: []string{}},
			{ID: "c2", URL: "http://10.0.0.2:8080", Reachable: true, State: "follower", Term: 4, LastIndex: 9120, CommitIndex: 9120, AppliedIndex: 7002,
				LeaderID: "c1", Peers: []string{"c1", "c2", "c3"}, Problems: []string{"applied index 7002 trails the cluster's commit index 9120"}},
			{ID: "c3", URL: "http://10.0.0.3:8080", State: "unreachable", Problems: []string{"unreachable: dial tcp 10.0.0.3:8080: connect: connection refused"}},
		},
		Branches: []apitype.BranchHealth{
			{LibraryID: "EAST", NodeID: "00000000000000e1", Name: "Eastside Branch", Problems: []string{"has never synced with central"}},
			{LibraryID: "MAIN", NodeID: "765d2795706f5c7d", Name: "Central Library", LastContact: &recent, Via: "c1", Version: "0.4.0", Problems: []string{}},
			{LibraryID: "NORTH", NodeID: "00000000000000f2", Name: "Northgate Branch", LastContact: &stale, Via: "c2", OpsBehind: 12500, ConflictsOpen: 2, Version: "0.3.9",
				Problems: []string{"no contact for 17m0s", "12500 ops behind central", "2 open conflicts to resolve"}},
		}}
}

// TestStatusCompaction: the compaction line, a replica silent past the
// horizon and one told to re-bootstrap are spelled out.
func TestStatusCompaction(t *testing.T) {
	st := sickCluster()
	last := st.At.Add(-40 * time.Second)
	st.Compaction = &apitype.CompactionStatus{Enabled: true, HorizonDays: 30, CompactedOps: 81234, CompactedBytes: 24000000, Passes: 55,
		LastPass: &last, LastPassMillis: 3.5, Excluded: []string{"00000000000000f2"}, Rebootstrap: []string{"00000000000000e1"}}
	var out bytes.Buffer
	renderStatus(&out, st)
	for _, want := range []string{
		"COMPACTION: horizon 30 days, 81234 ops compacted here (24000000 payload bytes) in 55 passes, last 40s ago (3.5 ms)",
		"! silent past the horizon, no longer holding compaction back: 00000000000000f2",
		"! RE-BOOTSTRAP NEEDED (they lack ops compacted away): 00000000000000e1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

func TestStatusGolden(t *testing.T) {
	var out bytes.Buffer
	renderStatus(&out, sickCluster())
	golden := filepath.Join("testdata", "status.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("stacks status output changed (go test ./cmd/stacks -run TestStatusGolden -update to accept):\n%s", out.String())
	}
}

// TestStatusCommand runs 'stacks status' against an API: it sends the
// login, prints the table, and exits non-zero for an unhealthy cluster.
func TestStatusCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "it" || p != "secret" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code":"login_required","detail":"Log in."}`))
			return
		}
		if r.URL.Path != "/api/v1/cluster/status" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		b, _ := jsonOf(sickCluster())
		w.Write(b)
	}))
	defer srv.Close()
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"status", "--cluster", srv.URL, "-u", "it:secret"}, &out, &errs)
	if !errors.Is(err, errUnhealthy) {
		t.Fatalf("err = %v, want errUnhealthy", err)
	}
	if !strings.Contains(out.String(), "PROBLEM  NORTH") || !strings.Contains(out.String(), "NEEDS ATTENTION") {
		t.Fatalf("output:\n%s", out.String())
	}
	out.Reset()
	err = run(context.Background(), []string{"status", "--cluster", srv.URL, "-u", "it:secret", "--json"}, &out, &errs)
	if !errors.Is(err, errUnhealthy) || !strings.Contains(out.String(), `"ops_behind": 12500`) {
		t.Fatalf("json: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"status", "--cluster", srv.URL}, &out, &errs); err == nil || !strings.Contains(err.Error(), "Log in") {
		t.Fatalf("without a login: %v", err)
	}
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }
