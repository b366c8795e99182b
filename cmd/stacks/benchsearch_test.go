package main_test

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var servingRE = regexp.MustCompile(`msg="branchd serving".*http=(http://[0-9.:]+)`)

// TestBenchSearch runs stacks bench-search against a real branchd with the
// demo library: known-item and broad queries drawn through the public API,
// p50/p95/p99 per set and for the mix, the bare FTS5 limit read from the
// appliance's database, and branchd's memory; and refuses bad input.
func TestBenchSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("process test: builds and starts branchd")
	}
	stacks, branchd := binaries(t)
	data := t.TempDir()
	cmd := exec.Command(branchd, "--data", data, "--http", "127.0.0.1:0", "--sip2", "", "--pin-cost", "4", "--demo")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-urlc:
	case <-time.After(2 * time.Minute):
		t.Fatal("branchd did not start")
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	out, err := exec.Command(stacks, "bench-search", "--api", url, "--known", "60", "--broad", "9", "--seed", "3",
		"--db", filepath.Join(data, "stacks.db"), "--pid", pid).CombinedOutput()
	if err != nil {
		t.Fatalf("bench-search: %v\n%s", err, out)
	}
	s := string(out)
	row := regexp.MustCompile(`(?m)^\s*(known|broad|mix)\s+(\d+)\s+([0-9.]+) ms\s+([0-9.]+) ms\s+([0-9.]+) ms\s+[0-9.]+ ms\s+(\d+)\s.*?(?:([0-9.]+)%)?\s*$`)
	rows := row.FindAllStringSubmatch(s, -1)
	if len(rows) != 6 {
		t.Fatalf("want a row for known, broad and mix, served and bare (6 rows); got %d:\n%s", len(rows), s)
	}
	want := map[string]string{"known": "60", "broad": "9", "mix": "69"}
	for _, r := range rows {
		if r[2] != want[r[1]] {
			t.Errorf("%s: %s queries, want %s\n%s", r[1], r[2], want[r[1]], s)
		}
		p50, _ := strconv.ParseFloat(r[3], 64)
		p95, _ := strconv.ParseFloat(r[4], 64)
		p99, _ := strconv.ParseFloat(r[5], 64)
		if !(p50 <= p95 && p95 <= p99) || p99 <= 0 {
			t.Errorf("%s: percentiles %v %v %v out of order", r[1], p50, p95, p99)
		}
	}
	// Known items are found: the wanted title is the first result of most.
	if first, _ := strconv.ParseFloat(rows[0][7], 64); rows[0][1] != "known" || first < 70 {
		t.Errorf("known: wanted title first in %v%% of queries, want most\n%s", rows[0][7], s)
	}
	// Broad queries match many titles each.
	if hits, _ := strconv.Atoi(rows[1][6]); rows[1][1] != "broad" || hits < 20 {
		t.Errorf("broad: %s hits a query on average, want many\n%s", rows[1][6], s)
	}
	for _, w := range []string{"the limit: a bare FTS5 MATCH count", "branchd (pid " + pid + ") after: VmHWM:", "VmRSS:"} {
		if !strings.Contains(s, w) {
			t.Errorf("output lacks %q:\n%s", w, s)
		}
	}

	// The same queries from a MARC file instead of the API.
	out, err = exec.Command(stacks, "bench-search", "--api", url, "--known", "10", "--broad", "2",
		"--marc", filepath.Join("..", "..", "..", "shared", "data", "marc", "jazz_1k.mrc")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "drawn from records of") {
		t.Fatalf("bench-search --marc: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--known", "0", "--broad", "0"}, "needs --known or --broad"},
		{[]string{"--db", filepath.Join(data, "node.json")}, "not an appliance's database"},
		{[]string{"--marc", filepath.Join(data, "missing.mrc")}, "no such file"},
	} {
		out, err := exec.Command(stacks, append([]string{"bench-search", "--api", url}, tc.args...)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("bench-search %v: %v, want an error saying %q\n%s", tc.args, err, tc.want, out)
		}
	}
}
