package node_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"stacks/replicate/replicatetest"
)

// BenchmarkRqliteWrite is the yardstick beside BenchmarkCentralAuditedWrite:
// a three-node rqlite cluster (rqlited processes built from rqlite's source,
// Raft over loopback TCP, each node's log in rqlite's raft-boltdb fork with fsync), one
// INSERT of a closed day per HTTP request through /db/execute at the
// leader, with 1 and 16 clients, reported the same way. It runs only when
// STACKS_RQLITED names an rqlited binary (README "Benchmarks": how to build
// one); run it in the same command as the central benchmark:
//
//	STACKS_RQLITED=/tmp/rqlite/bin/rqlited go test ./node -run xxx \
//	  -bench 'CentralAuditedWrite|RqliteWrite' -benchtime 1000x
func BenchmarkRqliteWrite(b *testing.B) {
	bin := os.Getenv("STACKS_RQLITED")
	if bin == "" {
		b.Skip("STACKS_RQLITED is not set (the path of an rqlited binary)")
	}
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchRqlite(b, bin, clients) })
	}
}

func freePort(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func benchRqlite(b *testing.B, bin string, clients int) {
	dir := b.TempDir()
	var httpAddrs, raftAddrs []string
	var pids []int
	for i := 1; i <= 3; i++ {
		httpAddrs, raftAddrs = append(httpAddrs, freePort(b)), append(raftAddrs, freePort(b))
		args := []string{"-node-id", fmt.Sprint(i), "-http-addr", httpAddrs[i-1], "-raft-addr", raftAddrs[i-1]}
		if i > 1 {
			args = append(args, "-join", raftAddrs[0])
		}
		args = append(args, filepath.Join(dir, fmt.Sprint("n", i)))
		cmd := exec.Command(bin, args...)
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("n%d.log", i)))
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		pids = append(pids, cmd.Process.Pid)
		b.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
			logf.Close()
		})
		if i == 1 {
			eventually(b, time.Minute, "rqlite node 1 to be ready", func() bool { return rqliteGet(httpAddrs[0], "/readyz") == 200 })
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}}
	defer client.CloseIdleConnections()
	// All three nodes voting, node 1 (the first) leading.
	eventually(b, time.Minute, "three reachable rqlite voters", func() bool {
		resp, err := client.Get("http://" + httpAddrs[0] + "/nodes?nonvoters=false")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && strings.Count(string(data), `"reachable":true`) == 3
	})
	exec1 := func(stmt []any) error {
		body, _ := json.Marshal([][]any{stmt})
		resp, err := client.Post("http://"+httpAddrs[0]+"/db/execute", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || bytes.Contains(data, []byte(`"error"`)) {
			return fmt.Errorf("rqlite execute: %d %s", resp.StatusCode, data)
		}
		return nil
	}
	if err := exec1([]any{`CREATE TABLE closed (id INTEGER PRIMARY KEY, library_id TEXT NOT NULL, day TEXT NOT NULL, reason TEXT NOT NULL, UNIQUE (library_id, day))`}); err != nil {
		b.Fatal(err)
	}
	day0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	closeDay := func(i int) error {
		return exec1([]any{`INSERT INTO closed (library_id, day, reason) VALUES (?, ?, ?)`, "MAIN", day0.AddDate(0, 0, i).Format("2006-01-02"), "Inventory"})
	}
	if err := closeDay(0); err != nil {
		b.Fatal(err)
	}
	cpu := newCPUMeter(b, pids...)
	all := replicatetest.ClosedLoop(b, clients, closeDay)
	cpuPerWrite := cpu.perOp(b, b.N)
	ms := func(q float64) float64 {
		return float64(all[min(len(all)-1, int(q*float64(len(all))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(cpuPerWrite, "cpu-ms/write")
}

func rqliteGet(addr, path string) int {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
