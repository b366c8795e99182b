package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

func apiDo(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.SetBasicAuth("admin", "admin")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			if s, ok := out.(*string); ok {
				*s = string(b)
			} else {
				t.Fatalf("%s %s: %v: %s", method, url, err, b)
			}
		}
	}
	return resp.StatusCode
}

// TestCentralClusterInProcess: three central nodes and two branches as
// node.Nodes: the cluster forms through the members API, policy issued on a
// follower reaches the branches, an unregistered branch's ops are refused
// (and logged) until central registers it, and cluster health is served as
// JSON, as an HTML page and as Prometheus metrics.
func TestCentralClusterInProcess(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "cluster.key"), bytes.Repeat([]byte{7}, 32), 0o600)
	c1 := startNode(t, nodetest.CentralConfig(dir, "c1", true))
	u1 := "http://" + c1.Addr()
	var ri apitype.RaftInfo
	eventually(t, 30*time.Second, "c1 leads", func() bool {
		return apiDo(t, "GET", u1+"/api/v1/cluster/raft", nil, &ri) == 200 && ri.State == "leader"
	})
	centrals := []*node.Node{c1}
	for _, id := range []string{"c2", "c3"} {
		c := startNode(t, nodetest.CentralConfig(dir, id, false))
		m := apitype.CentralMember{ID: id, RaftAddr: c.RaftAddr(), URL: "http://" + c.Addr()}
		eventually(t, 30*time.Second, id+" joins", func() bool { return apiDo(t, "POST", u1+"/api/v1/cluster/members", m, nil) == 204 })
		centrals = append(centrals, c)
	}
	u2 := "http://" + centrals[1].Addr()
	var peers []string
	for _, c := range centrals {
		peers = append(peers, "http://"+c.Addr())
	}
	bcfg := node.DefaultConfig()
	bcfg.DataDir, bcfg.HTTPAddr, bcfg.PINCost, bcfg.Peers, bcfg.SyncInterval = filepath.Join(dir, "main"), "127.0.0.1:0", 4, peers, 100*time.Millisecond
	bcfg.ClusterKeyFile = filepath.Join(dir, "cluster.key")
	main := startNode(t, bcfg)
	ecfg := bcfg
	ecfg.DataDir, ecfg.Branch, ecfg.Demo = filepath.Join(dir, "east"), "EAST", false
	east := startNode(t, ecfg)

	// Central IT registers MAIN (on a follower: it forwards to the leader)
	// but not EAST yet.
	if code := apiDo(t, "PUT", u2+"/api/v1/libraries/MAIN", map[string]any{"name": "Central Library", "institution_id": "STACKS"}, nil); code != 200 {
		t.Fatalf("put library: %d", code)
	}
	if code := apiDo(t, "PUT", u2+"/api/v1/cluster/nodes/"+main.Identity().NodeHex, map[string]any{"library_id": "MAIN"}, nil); code != 200 {
		t.Fatalf("register MAIN: %d", code)
	}
	// A rule issued by central reaches the branches as a central op.
	rule := map[string]any{"library_id": "*", "category_id": "*", "item_type_id": "*", "loan_days": 17, "renewals_allowed": 2, "max_checkouts": 30,
		"fine_cents_per_day": 20, "max_fine_cents": 900, "holds_allowed": true}
	if code := apiDo(t, "PUT", u2+"/api/v1/circulation-rules", rule, nil); code >= 300 {
		t.Fatalf("put rule: %d", code)
	}
	// MAIN's demo library reaches every central node; EAST's own ops are
	// refused, and EAST says why: it knows the registry from central.
	eventually(t, 60*time.Second, "MAIN's ops at central and central's at MAIN", func() bool {
		var st struct {
			VV map[string]uint64 `json:"version_vector"`
		}
		apiDo(t, "GET", "http://"+centrals[2].Addr()+"/api/v1/cluster/state", nil, &st)
		var ms struct {
			VV map[string]uint64 `json:"version_vector"`
		}
		apiDo(t, "GET", "http://"+main.Addr()+"/api/v1/cluster/state", nil, &ms)
		return st.VV[main.Identity().NodeHex] > 1000 && ms.VV[centrals[0].Identity().NodeHex] >= 4
	})
	// EAST writes something of its own (a closed day of its calendar):
	// central must refuse it until central IT registers EAST.
	if code := apiDo(t, "PUT", "http://"+east.Addr()+"/api/v1/calendar/closed", map[string]any{"library_id": "EAST", "date": "2026-12-24", "reason": "Christmas Eve"}, nil); code >= 300 {
		t.Fatalf("EAST closes a day: %d", code)
	}
	eventually(t, 30*time.Second, "central to refuse EAST's ops (counted in its metrics)", func() bool {
		resp, err := http.Get(u1 + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return bytes.Contains(b, []byte("\nstacks_ops_refused_total ")) && !bytes.Contains(b, []byte("\nstacks_ops_refused_total 0\n"))
	})
	var st struct {
		VV map[string]uint64 `json:"version_vector"`
	}
	apiDo(t, "GET", u1+"/api/v1/cluster/state", nil, &st)
	if st.VV[east.Identity().NodeHex] != 0 {
		t.Fatalf("central admitted ops of the unregistered EAST: %v", st.VV)
	}
	var status apitype.ClusterStatus
	if code := apiDo(t, "GET", u1+"/api/v1/cluster/status", nil, &status); code != 200 {
		t.Fatalf("status: %d", code)
	}
	if len(status.Central) != 3 || len(status.Branches) != 1 || status.Branches[0].LibraryID != "MAIN" || status.Branches[0].LastContact == nil {
		t.Fatalf("status: %+v", status)
	}
	for _, cn := range status.Central {
		if !cn.Reachable || len(cn.Peers) != 3 || cn.LeaderID == "" {
			t.Fatalf("central node %+v", cn)
		}
	}
	// Register EAST: its ops flow, and everyone converges.
	apiDo(t, "PUT", u1+"/api/v1/libraries/EAST", map[string]any{"name": "Eastside Branch"}, nil)
	if code := apiDo(t, "PUT", u1+"/api/v1/cluster/nodes/"+east.Identity().NodeHex, map[string]any{"library_id": "EAST", "name": "east box"}, nil); code != 200 {
		t.Fatalf("register EAST: %d", code)
	}
	all := []string{"http://" + main.Addr(), "http://" + east.Addr()}
	for _, c := range centrals {
		all = append(all, "http://"+c.Addr())
	}
	converged(t, all, 90*time.Second)
	var rules []map[string]any
	apiDo(t, "GET", "http://"+east.Addr()+"/api/v1/circulation-rules?_per_page=100", nil, &rules)
	found := false
	for _, r := range rules {
		found = found || r["item_type_id"] == "*" && r["category_id"] == "*" && r["library_id"] == "*" && r["loan_days"] == float64(17)
	}
	if !found {
		t.Fatal("central's rule did not reach EAST")
	}

	// The HTML page for central IT, and the metrics.
	var page string
	if code := apiDo(t, "GET", "http://"+centrals[2].Addr()+"/status", nil, &page); code != 200 ||
		!strings.Contains(page, "<td>c1<br>") || !strings.Contains(page, "EAST") || !strings.Contains(page, "leader") {
		t.Fatalf("status page %d:\n%s", code, page)
	}
	resp, err := http.Get(u1 + "/status") // no login
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("status page without a login: %d", resp.StatusCode)
	}
	resp, err = http.Get(u1 + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`stacks_raft_state{state="`, "stacks_raft_applied_index", "stacks_conflicts_open",
		"stacks_http_request_duration_seconds_bucket", "stacks_ops_refused_total"} {
		if !bytes.Contains(mb, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if screenshotStatusPage(t, "http://admin:admin@"+centrals[0].Addr()+"/status") {
		t.Log("status page rendered in headless chromium")
	}
}

// screenshotStatusPage renders the page in headless chromium when it is
// installed, as central IT would see it, into a file in the test's temp dir.
func screenshotStatusPage(t *testing.T, url string) bool {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		return false
	}
	out := filepath.Join(t.TempDir(), "status.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--window-size=1200,900", "--screenshot="+out, url)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Logf("chromium: %v\n%s", err, b)
		return false
	}
	st, err := os.Stat(out)
	if err != nil || st.Size() < 1000 {
		t.Errorf("chromium wrote no screenshot of the status page")
		return false
	}
	if dst := os.Getenv("STACKS_SCREENSHOT_DIR"); dst != "" {
		b, _ := os.ReadFile(out)
		os.WriteFile(filepath.Join(dst, "status.png"), b, 0o644)
	}
	return true
}

// eventually polls cond until it holds, failing after within.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
