package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	"stacks/replicate"
)

var (
	buildOnce sync.Once
	bins      map[string]string
	buildErr  error
)

// binaries builds branchd and kiosk once per test run.
func binaries(t *testing.T) map[string]string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kiosk-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		bins = map[string]string{}
		for _, name := range []string{"branchd", "kiosk"} {
			bins[name] = filepath.Join(dir, name)
			if out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bins[name], "stacks/cmd/"+name).CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", name, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return bins
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

var (
	sip2RE    = regexp.MustCompile(`msg="sip2 serving" .*addr=([0-9.:]+)`)
	servingRE = regexp.MustCompile(`msg="branchd serving".*http=(http://[0-9.:]+)`)
)

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", "admin") // the demo admin login: patrons need one
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestKioskEndToEnd runs branchd with the demo library, advertising on
// loopback, and the kiosk as a separate process: it finds the appliance
// with mDNS, logs in, and a patron identifies, checks out, renews, checks
// in and pays a fee. The ops are recorded with channel kiosk and the
// kiosk's ID.
func TestKioskEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	b := binaries(t)
	br := startBranchd(t, b["branchd"], "--mdns-iface", "lo")
	api, sipAddr, dir := br.api, br.sip, br.dir

	// A patron who may borrow and owes something, and a book on the shelf.
	var items []struct {
		Barcode string `json:"barcode"`
	}
	getJSON(t, api+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=5", &items)
	if len(items) == 0 {
		t.Fatal("no available book in the demo")
	}
	var card, patronID string
	var owed int64
	for i := 1; i <= 400 && card == ""; i++ {
		c := fmt.Sprintf("2100000%07d", i)
		var ps []struct {
			PatronID string `json:"patron_id"`
		}
		getJSON(t, api+"/api/v1/patrons?cardnumber="+c, &ps)
		if len(ps) == 0 {
			continue
		}
		var st domain.PatronStatus
		getJSON(t, api+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st)
		if st.CanBorrow && st.BalanceCents > 0 {
			card, patronID, owed = c, ps[0].PatronID, st.BalanceCents
		}
	}
	if card == "" {
		t.Fatal("no demo patron who may borrow and owes a fee")
	}
	pay := min(owed, 50)
	script := filepath.Join(t.TempDir(), "session.kiosk")
	must(t, os.WriteFile(script, []byte(fmt.Sprintf(`# a patron's visit
status
identify %[1]s 1234
checkout %[2]s
renew %[2]s
checkin %[2]s
pay %[3]s
end
`, card, items[0].Barcode, domain.Money(pay))), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kc := exec.CommandContext(ctx, b["kiosk"], "--mdns-iface", "lo", "--branch", "MAIN", "--discover-timeout", "30s",
		"--location", "E2E-KIOSK", "script", script)
	out, err := kc.CombinedOutput()
	t.Logf("kiosk output:\n%s", out)
	if err != nil {
		t.Fatalf("kiosk: %v\nbranchd log:\n%s", err, br.logs.String())
	}
	text := string(out)
	for _, want := range []string{
		"found ", "at " + sipAddr, "connected to Central Library (STACKS)",
		"status ok", "identify ok", "checkout ok: Checked out", "renew ok: Renewed", "checkin ok: Thank you",
		"pay ok: Thank you. We received " + domain.Money(pay), "end ok", "Self-check receipt", "Checked out:", "Renewed:", "Returned:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("kiosk output lacks %q", want)
		}
	}
	var st domain.PatronStatus
	getJSON(t, api+"/api/v1/patrons/"+patronID+"/status", &st)
	if st.BalanceCents != owed-pay {
		t.Errorf("balance %d after paying %d of %d", st.BalanceCents, pay, owed)
	}

	// Stop branchd and read its op log: the kiosk's ops say who and how.
	br.stop()
	db, err := replicate.OpenDB(context.Background(), filepath.Join(dir, "stacks.db"), branch.Migrations())
	must(t, err)
	defer db.Close()
	ops, err := replicate.NewLog(db, replicate.DefaultConfig(1), branch.Applier{}).AllOps(context.Background())
	must(t, err)
	kinds := map[string]bool{}
	for _, op := range ops {
		if op.Channel == string(domain.ChannelKiosk) {
			if op.Actor != "demo-kiosk" {
				t.Errorf("kiosk op %s by %q", op.Kind, op.Actor)
			}
			kinds[op.Kind] = true
		}
	}
	for _, k := range []string{branch.KindCheckout, branch.KindRenew, branch.KindCheckin, branch.KindFeeLines} {
		if !kinds[k] {
			t.Errorf("no %s op from the kiosk channel (saw %v)", k, kinds)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// branchd is a running branchd process with the demo library.
type branchd struct {
	t             *testing.T
	api, sip, dir string
	logs          *logBuf
	cmd           *exec.Cmd
	exited        chan error
}

// startBranchd runs branchd with the demo library on free loopback ports
// and waits until it serves.
func startBranchd(t *testing.T, bin string, extra ...string) *branchd {
	t.Helper()
	br := &branchd{t: t, dir: t.TempDir(), logs: &logBuf{}, exited: make(chan error, 1)}
	args := append([]string{"--data", br.dir, "--http", "127.0.0.1:0", "--sip2", "127.0.0.1:0", "--pin-cost", "4", "--demo"}, extra...)
	br.cmd = exec.Command(bin, args...)
	stderr, err := br.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	must(t, br.cmd.Start())
	ready := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var sipAddr string
		for sc.Scan() {
			line := sc.Text()
			br.logs.mu.Lock()
			br.logs.b.WriteString(line + "\n")
			br.logs.mu.Unlock()
			if m := sip2RE.FindStringSubmatch(line); m != nil {
				sipAddr = m[1]
			}
			if m := servingRE.FindStringSubmatch(line); m != nil {
				ready <- [2]string{m[1], sipAddr}
			}
		}
		br.exited <- br.cmd.Wait()
	}()
	t.Cleanup(func() {
		if br.cmd.ProcessState == nil {
			br.cmd.Process.Kill()
		}
	})
	select {
	case r := <-ready:
		br.api, br.sip = r[0], r[1]
	case err := <-br.exited:
		t.Fatalf("branchd exited: %v\n%s", err, br.logs.String())
	case <-time.After(120 * time.Second):
		t.Fatalf("branchd did not start\n%s", br.logs.String())
	}
	if br.sip == "" {
		t.Fatalf("no SIP2 server in the logs:\n%s", br.logs.String())
	}
	return br
}

// stop ends branchd with SIGTERM and waits for a clean exit.
func (br *branchd) stop() {
	br.t.Helper()
	br.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-br.exited:
		if err != nil {
			br.t.Fatalf("branchd exit: %v\n%s", err, br.logs.String())
		}
	case <-time.After(30 * time.Second):
		br.t.Fatal("branchd did not stop")
	}
}
