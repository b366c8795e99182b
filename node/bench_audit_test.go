package node_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"stacks/node/apitype"
	"stacks/node/nodetest"
	"stacks/replicate/replicatetest"
)

// BenchmarkCentralAuditedWrite is audited writes through the API at the
// Raft leader of a three-node central cluster (Raft over loopback TCP,
// raft-wal with fsync): one closed day per request,
// PUT /api/v1/calendar/closed, each a distinct date, as the admin with a
// session token. It reports writes/s, latency and Raft entries per write.
// The nodes run in this process (in-process/...) and, as BenchmarkRqliteWrite
// runs rqlite's, as three branchd processes (processes/...), so that the
// followers' applies and garbage collection are scheduled apart from the
// leader's, as on three machines.
func BenchmarkCentralAuditedWrite(b *testing.B) {
	for _, procs := range []bool{false, true} {
		name := map[bool]string{false: "in-process", true: "processes"}[procs]
		for _, clients := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/clients=%d", name, clients), func(b *testing.B) { benchCentralAuditedWrite(b, procs, clients) })
		}
	}
}

// startCentralCluster starts a three-node central cluster, c1 leading,
// in this process or as three branchd processes, and returns c1's API URL
// and the processes' IDs (none in-process).
func startCentralCluster(b *testing.B, procs bool, do func(method, url, token string, body any, out any) (int, error)) (string, []int) {
	dir := b.TempDir()
	keyFile := filepath.Join(dir, "cluster.key")
	os.WriteFile(keyFile, bytes.Repeat([]byte{7}, 32), 0o600)
	type member struct{ url, raft string }
	var pids []int
	start := func(id string, bootstrap bool) member {
		if !procs {
			c := nodetest.Start(b, nodetest.CentralConfig(dir, id, bootstrap))
			return member{"http://" + c.Addr(), c.RaftAddr()}
		}
		// Raft on a port of its own choosing (one picked here could be
		// taken before branchd binds it), read back from its log.
		args := []string{"--role", "central", "--demo=false", "--data", filepath.Join(dir, id), "--raft", "127.0.0.1:0", "--raft-id", id,
			"--cluster-key-file", keyFile}
		if bootstrap {
			args = append(args, "--raft-bootstrap", "--admin-password", "admin")
		}
		p := startBranchd(b, args...)
		pids = append(pids, p.cmd.Process.Pid)
		b.Cleanup(func() {
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				p.cmd.Process.Kill()
				<-p.done
			}
		})
		var raft string
		eventually(b, time.Minute, id+" to serve Raft", func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			if m := raftServingRE.FindStringSubmatch(p.logs.String()); m != nil {
				raft = m[1]
			}
			return raft != ""
		})
		return member{p.url, raft}
	}
	c1 := start("c1", true)
	var ri apitype.RaftInfo
	eventually(b, time.Minute, "c1 to lead", func() bool {
		c, _ := do("GET", c1.url+"/api/v1/cluster/raft", "", nil, &ri)
		return c == 200 && ri.State == "leader"
	})
	for _, id := range []string{"c2", "c3"} {
		c := start(id, false)
		m := apitype.CentralMember{ID: id, RaftAddr: c.raft, URL: c.url}
		eventually(b, time.Minute, id+" to join", func() bool { code, _ := do("POST", c1.url+"/api/v1/cluster/members", "", m, nil); return code == 204 })
	}
	return c1.url, pids
}

// raftServingRE finds the Raft address branchd advertises in its log.
var raftServingRE = regexp.MustCompile(`msg="raft serving".* advertise=(\S+)`)

func benchCentralAuditedWrite(b *testing.B, procs bool, clients int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}}
	defer client.CloseIdleConnections()
	do := func(method, url, token string, body any, out any) (int, error) {
		var rd io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			rd = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, url, rd)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		} else {
			req.SetBasicAuth("admin", "admin")
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		if out != nil && res.StatusCode < 300 {
			return res.StatusCode, json.Unmarshal(data, out)
		}
		if res.StatusCode >= 300 {
			return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, data)
		}
		return res.StatusCode, nil
	}
	u1, pids := startCentralCluster(b, procs, do)
	if _, err := do("PUT", u1+"/api/v1/libraries/MAIN", "", map[string]any{"name": "Central Library", "institution_id": "STACKS"}, nil); err != nil {
		b.Fatal(err)
	}
	var session struct{ Token string }
	if _, err := do("POST", u1+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin"}, &session); err != nil {
		b.Fatal(err)
	}
	day0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	closeDay := func(i int) error {
		_, err := do("PUT", u1+"/api/v1/calendar/closed", session.Token,
			map[string]any{"library_id": "MAIN", "date": day0.AddDate(0, 0, i).Format("2006-01-02"), "reason": "Inventory"}, nil)
		return err
	}
	// One write first: the route's first change, and warm connections.
	if err := closeDay(0); err != nil {
		b.Fatal(err)
	}
	lastIndex := func() uint64 {
		resp, err := client.Get(u1 + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		for _, line := range bytes.Split(data, []byte("\n")) {
			var v float64
			if n, _ := fmt.Sscanf(string(line), "stacks_raft_last_index %g", &v); n == 1 {
				return uint64(v)
			}
		}
		b.Fatal("no stacks_raft_last_index")
		return 0
	}
	before := lastIndex()
	cpu := newCPUMeter(b, pids...)
	all := replicatetest.ClosedLoop(b, clients, closeDay)
	cpuPerWrite := cpu.perOp(b, b.N)
	entries := lastIndex() - before
	ms := func(q float64) float64 {
		return float64(all[min(len(all)-1, int(q*float64(len(all))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(entries)/float64(b.N), "raft-entries/write")
	b.ReportMetric(cpuPerWrite, "cpu-ms/write")
}
