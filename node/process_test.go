package node_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node"
	"stacks/replicate"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// branchdBinary builds cmd/branchd once per test run, or is the binary
// STACKS_BRANCHD names (a benchmark of another commit's branchd: a test
// binary built at one commit otherwise runs the source tree's).
func branchdBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("STACKS_BRANCHD"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "branchd-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "branchd")
		out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", binPath, "stacks/cmd/branchd").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build branchd: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running branchd child process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
	mu   sync.Mutex
	done chan error
}

var servingRE = regexp.MustCompile(`msg="branchd serving".*http=(http://[0-9.:]+)`)

func startBranchd(t testing.TB, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(branchdBinary(t), append([]string{"--http", "127.0.0.1:0", "--pin-cost", "4"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if m := servingRE.FindStringSubmatch(line); m != nil {
				urlc <- m[1]
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
	select {
	case p.url = <-urlc:
	case err := <-p.done:
		t.Fatalf("branchd exited early: %v\n%s", err, p.logText())
	case <-time.After(120 * time.Second):
		t.Fatalf("branchd did not start\n%s", p.logText())
	}
	return p
}

func (p *proc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// asAdmin sends a request with the demo admin login, as curl -u admin:admin
// does: every /api/v1 route but the catalogue needs a login.
func asAdmin(method, url string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth("admin", "admin")
	return http.DefaultClient.Do(req)
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := asAdmin("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil && resp.StatusCode < 300 {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func postJSON(url string, body any) (int, map[string]any, error) {
	b, _ := json.Marshal(body)
	resp, err := asAdmin("POST", url, bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out, nil
}

// TestCrashKeepsAcknowledgedCheckouts kills branchd with SIGKILL while 16
// clients check out, restarts it, and finds every acknowledged checkout;
// the state equals a rebuild from the op log.
func TestCrashKeepsAcknowledgedCheckouts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd processes")
	}
	dir := t.TempDir()
	p := startBranchd(t, "--data", dir)
	var items []struct {
		Barcode string `json:"barcode"`
	}
	if code := getJSON(t, p.url+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=1000", &items); code != 200 {
		t.Fatalf("items: %d", code)
	}
	var cards []string
	for i := 1; i <= 240 && len(cards) < 40; i++ {
		card := fmt.Sprintf("2100000%07d", i)
		var ps []struct {
			PatronID string `json:"patron_id"`
		}
		getJSON(t, p.url+"/api/v1/patrons?cardnumber="+card, &ps)
		var st domain.PatronStatus
		if getJSON(t, p.url+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st); st.CanBorrow {
			cards = append(cards, card)
		}
	}
	var (
		mu    sync.Mutex
		acked []string
		next  int
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				if next >= len(items) {
					mu.Unlock()
					return
				}
				bc := items[next].Barcode
				next++
				mu.Unlock()
				code, body, err := postJSON(p.url+"/api/v1/checkouts", map[string]string{"cardnumber": cards[(w+n*16)%len(cards)], "barcode": bc})
				if err != nil {
					return // the process died under us
				}
				if code == 201 {
					mu.Lock()
					acked = append(acked, body["checkout_id"].(string))
					mu.Unlock()
				}
			}
		}(w)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond) // polling the clients' progress, not waiting for a condition to settle
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	<-p.done
	mu.Lock()
	got := append([]string(nil), acked...)
	mu.Unlock()
	if len(got) < 100 {
		t.Fatalf("only %d checkouts acknowledged before the kill", len(got))
	}
	t.Logf("%d checkouts acknowledged before SIGKILL", len(got))

	p2 := startBranchd(t, "--data", dir)
	for _, id := range got {
		if code := getJSON(t, p2.url+"/api/v1/checkouts/"+id, nil); code != 200 {
			t.Errorf("acknowledged checkout %s lost after crash: %d", id, code)
		}
	}
	// A clean stop on SIGTERM.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p2.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p2.logText())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if !strings.Contains(p2.logText(), `msg=stopped`) {
		t.Fatalf("no clean stop in logs:\n%s", p2.logText())
	}

	// The state tables equal a rebuild of state from the op log.
	ctx := context.Background()
	caps := node.Capabilities()
	applier, err := branch.NewApplier(caps...)
	if err != nil {
		t.Fatal(err)
	}
	db, err := replicate.OpenDB(ctx, filepath.Join(dir, "stacks.db"), branch.Migrations(caps...))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want, err := replicate.StateHash(ctx, db.Read(), branch.StateTables(caps...))
	if err != nil {
		t.Fatal(err)
	}
	lg := replicate.NewLog(db, replicate.DefaultConfig(1), applier)
	ops, err := lg.AllOps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := replicate.OpenDB(ctx, filepath.Join(t.TempDir(), "rebuild.db"), branch.Migrations(caps...))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	flog := replicate.NewLog(fresh, replicate.DefaultConfig(2), applier)
	if err := flog.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer flog.Close()
	for i := 0; i < len(ops); i += 1000 {
		if _, err := flog.Integrate(ctx, ops[i:min(i+1000, len(ops))]); err != nil {
			t.Fatal(err)
		}
	}
	rebuilt, err := replicate.StateHash(ctx, fresh.Read(), branch.StateTables(caps...))
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt != want {
		t.Fatalf("state hash %s, rebuilt from %d ops %s", want, len(ops), rebuilt)
	}
}

// TestBranchdRuntimeSettings: a branchd process runs with the collector's
// target and soft memory limit its flags give (400 % and 256 MiB by
// default), as its /metrics reports them; GOGC in its environment wins.
func TestBranchdRuntimeSettings(t *testing.T) {
	metric := func(p *proc, name string) string {
		t.Helper()
		resp, err := http.Get(p.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		t.Fatalf("no %s in /metrics", name)
		return ""
	}
	p := startBranchd(t, "--data", t.TempDir(), "--branch", "EAST", "--demo=false")
	if v := metric(p, "go_gc_gogc_percent"); v != "400" {
		t.Errorf("go_gc_gogc_percent %s, want 400", v)
	}
	if v := metric(p, "go_gc_gomemlimit_bytes"); v != "2.68435456e+08" {
		t.Errorf("go_gc_gomemlimit_bytes %s, want 256 MiB", v)
	}
	// The steady sysmon: the same process (its ID), started again with
	// schedtrace in GODEBUG, serving as before.
	if got := godebug(t, p); got != "schedtrace=2147483647" {
		t.Errorf("running branchd's GODEBUG %q, want schedtrace=2147483647", got)
	}
	t.Setenv("GOGC", "150")
	p = startBranchd(t, "--data", t.TempDir(), "--branch", "EAST", "--demo=false", "--go-gc-percent", "300")
	if v := metric(p, "go_gc_gogc_percent"); v != "150" {
		t.Errorf("go_gc_gogc_percent %s with GOGC=150 in the environment, want 150", v)
	}
	p = startBranchd(t, "--data", t.TempDir(), "--branch", "EAST", "--demo=false", "--go-steady-sysmon=false")
	if got := godebug(t, p); got != "" {
		t.Errorf("with --go-steady-sysmon=false GODEBUG is %q, want none", got)
	}
	t.Setenv("GODEBUG", "schedtrace=3600000")
	p = startBranchd(t, "--data", t.TempDir(), "--branch", "EAST", "--demo=false")
	if got := godebug(t, p); got != "schedtrace=3600000" {
		t.Errorf("with the operator's schedtrace GODEBUG is %q, want it kept", got)
	}
}

// godebug is GODEBUG in a running branchd's environment (Linux's /proc).
func godebug(t *testing.T, p *proc) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for _, kv := range strings.Split(string(data), "\x00") {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			return v
		}
	}
	return ""
}
