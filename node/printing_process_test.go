package node_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

var (
	stacksOnce sync.Once
	stacksPath string
	stacksErr  error
)

// stacksBinary builds cmd/stacks (the printer emulator) once per test run.
func stacksBinary(t *testing.T) string {
	t.Helper()
	stacksOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stacks-bin")
		if err != nil {
			stacksErr = err
			return
		}
		stacksPath = filepath.Join(dir, "stacks")
		out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", stacksPath, "stacks/cmd/stacks").CombinedOutput()
		if err != nil {
			stacksErr = fmt.Errorf("build stacks: %v\n%s", err, out)
		}
	})
	if stacksErr != nil {
		t.Fatal(stacksErr)
	}
	return stacksPath
}

// startEmulator runs "stacks printer-emulator" on addr, writing the text
// of what it prints to out; it returns once the emulator listens.
func startEmulator(t *testing.T, addr, out string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(stacksBinary(t), "printer-emulator", "--listen", addr, "--out", out, "--png", filepath.Dir(out))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "printer emulator listening") {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("the emulator exited before listening")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the emulator did not start")
	}
	return cmd
}

var jobRE = regexp.MustCompile(`(?m)^---- job \d+ `)

// TestPrintingProcess: branchd with the emulator as its printer prints a
// checkout receipt with the barcode and due date; with the emulator gone
// lending goes on and three receipts wait; the emulator comes back on the
// same port and prints all three, once each, in order.
func TestPrintingProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and the emulator")
	}
	stacksBinary(t)
	addr := freeAddr(t)
	dir := t.TempDir()
	out1 := filepath.Join(dir, "em1", "printed.txt")
	os.MkdirAll(filepath.Dir(out1), 0o755)
	em := startEmulator(t, addr, out1)
	p := startBranchd(t, "--data", filepath.Join(dir, "data"), "--printer", "desk=tcp://"+addr, "--printer-retry", "300ms", "--printer-timeout", "1s")

	var items []struct {
		Barcode string `json:"barcode"`
	}
	if code := getJSON(t, p.url+"/api/v1/items?status=available&item_type_id=BOOK&_per_page=20", &items); code != 200 || len(items) < 8 {
		t.Fatalf("items: %d %d", code, len(items))
	}
	var patronID, card string
	for i := 1; i <= 100 && patronID == ""; i++ {
		c := fmt.Sprintf("2100000%07d", i)
		var ps []struct {
			PatronID string `json:"patron_id"`
		}
		getJSON(t, p.url+"/api/v1/patrons?cardnumber="+c, &ps)
		var st domain.PatronStatus
		if getJSON(t, p.url+"/api/v1/patrons/"+ps[0].PatronID+"/status", &st); st.CanBorrow && st.Loans == 0 {
			patronID, card = ps[0].PatronID, c
		}
	}
	if patronID == "" {
		t.Fatal("no demo patron without loans who can borrow")
	}
	checkout := func(i int) (due string, took time.Duration) {
		t.Helper()
		start := time.Now()
		code, body, err := postJSON(p.url+"/api/v1/checkouts", map[string]string{"cardnumber": card, "barcode": items[i].Barcode})
		took = time.Since(start)
		if err != nil || code != 201 {
			t.Fatalf("checkout %d: %d %v %v", i, code, body, err)
		}
		return body["due_date"].(string), took
	}
	receipt := func() {
		t.Helper()
		code, body, err := postJSON(p.url+"/api/v1/patrons/"+patronID+"/receipt", map[string]string{})
		if err != nil || code != 202 {
			t.Fatalf("receipt: %d %v %v", code, body, err)
		}
	}
	printed := func(path string) string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out: %s\nbranchd:\n%s", what, p.logText())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// A checkout and its receipt: the emulator shows the barcode and due date.
	due, _ := checkout(0)
	d, err := time.Parse(domain.DateLayout, due)
	if err != nil {
		t.Fatal(err)
	}
	receipt()
	waitUntil("the first receipt", func() bool { return len(jobRE.FindAllString(printed(out1), -1)) == 1 })
	text := printed(out1)
	if !strings.Contains(text, items[0].Barcode) || !(strings.Contains(text, d.Format("Jan 2, 2006")) || strings.Contains(text, d.Format("2.1.2006"))) {
		t.Fatalf("receipt lacks the barcode %s or the due date %s:\n%s", items[0].Barcode, due, text)
	}
	// The emulator writes the job's PNG after its text.
	waitUntil("the first receipt's PNG", func() bool {
		pngs, _ := filepath.Glob(filepath.Join(filepath.Dir(out1), "job-*.png"))
		return len(pngs) == 1
	})

	// The printer goes away; lending goes on, three receipts wait.
	em.Process.Signal(syscall.SIGTERM)
	em.Wait()
	var slowest time.Duration
	for i := 1; i <= 3; i++ {
		_, took := checkout(i)
		slowest = max(slowest, took)
		receipt()
	}
	for i := 4; i <= 5; i++ {
		_, took := checkout(i)
		slowest = max(slowest, took)
	}
	t.Logf("slowest checkout with the printer gone: %v", slowest)
	if slowest > 2*time.Second {
		t.Errorf("a checkout took %v with the printer gone", slowest)
	}
	waitUntil("the jobs to wait for the printer", func() bool {
		var js []apitype.PrintJob
		getJSON(t, p.url+"/api/v1/printing/jobs", &js)
		waiting := 0
		for _, j := range js {
			if j.State == "waiting" && strings.HasPrefix(j.Detail, "offline") {
				waiting++
			}
		}
		return waiting == 1 && len(js) == 4 // the head waits; the others queue behind it
	})
	var ps []apitype.Printer
	if getJSON(t, p.url+"/api/v1/printing/printers", &ps); len(ps) != 1 || ps[0].Queued != 3 || ps[0].Ready {
		t.Errorf("printers: %+v", ps)
	}

	// The printer comes back on the same port: all three print, once each, in order.
	out2 := filepath.Join(dir, "em2", "printed.txt")
	os.MkdirAll(filepath.Dir(out2), 0o755)
	startEmulator(t, addr, out2)
	waitUntil("three receipts", func() bool { return len(jobRE.FindAllString(printed(out2), -1)) >= 3 })
	var js []apitype.PrintJob
	waitUntil("every job done", func() bool {
		getJSON(t, p.url+"/api/v1/printing/jobs", &js)
		for _, j := range js {
			if j.State != "done" {
				return false
			}
		}
		return true
	})
	text = printed(out2)
	jobs := jobRE.Split(text, -1)[1:]
	if len(jobs) != 3 {
		t.Fatalf("%d jobs printed, want 3:\n%s", len(jobs), text)
	}
	for i, job := range jobs {
		// The receipts list the day's loans: 2, 3 and 4 of them.
		for k := 0; k <= i+1; k++ {
			if !strings.Contains(job, items[k].Barcode) {
				t.Errorf("receipt %d lacks loan %d (%s)", i+1, k, items[k].Barcode)
			}
		}
		if strings.Contains(job, items[i+2].Barcode) && i+2 <= 3 && i < 2 {
			t.Errorf("receipt %d shows a later loan: out of order", i+1)
		}
	}
	if strings.Contains(printed(out1), items[1].Barcode) {
		t.Error("a receipt printed on the stopped emulator")
	}
}
