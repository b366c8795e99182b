// Package e2etest runs the real processes of end-to-end tests: it builds
// the binaries once per test run, starts branchd with the demo library on
// free loopback ports, drives terminal programs (the kiosk, the desk) in a
// tmux server of the test's own, and starts headless Chromium. Only tests
// import it; it is shared so that cmd/kiosk and cmd/stacks journeys run
// the same processes the same way.
package e2etest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildMu  sync.Mutex
	binDir   string
	built    = map[string]string{}
	buildErr = map[string]error{}
)

// Binaries builds the named commands (stacks/cmd/NAME) with the FTS5 tag,
// each once per test run, and returns their paths by name.
func Binaries(t testing.TB, names ...string) map[string]string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if binDir == "" {
		d, err := os.MkdirTemp("", "stacks-e2e-bin")
		if err != nil {
			t.Fatal(err)
		}
		binDir = d
	}
	out := map[string]string{}
	for _, name := range names {
		if err := buildErr[name]; err != nil {
			t.Fatal(err)
		}
		if p, ok := built[name]; ok {
			out[name] = p
			continue
		}
		p := filepath.Join(binDir, name)
		if b, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", p, "stacks/cmd/"+name).CombinedOutput(); err != nil {
			buildErr[name] = fmt.Errorf("build %s: %v\n%s", name, err, b)
			t.Fatal(buildErr[name])
		}
		built[name], out[name] = p, p
	}
	return out
}

// LogBuf collects a process's log lines; safe for concurrent use.
type LogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func (l *LogBuf) line(s string) { l.mu.Lock(); l.b.WriteString(s + "\n"); l.mu.Unlock() }

var (
	sip2RE    = regexp.MustCompile(`msg="sip2 serving" .*addr=([0-9.:]+)`)
	servingRE = regexp.MustCompile(`msg="branchd serving".*http=(http://[0-9.:]+)`)
)

// Branchd is a running branchd process with the demo library.
type Branchd struct {
	API  string // http://127.0.0.1:port
	SIP  string // 127.0.0.1:port, "" when not asked for
	Dir  string // its data directory
	Logs *LogBuf

	t      testing.TB
	cmd    *exec.Cmd
	exited chan error
}

// StartBranchd runs bin (branchd) with the demo library, its HTTP API and
// SIP2 on free loopback ports and extra flags, and waits until it serves.
// It is killed when the test ends unless Stop ended it first.
func StartBranchd(t testing.TB, bin string, extra ...string) *Branchd {
	t.Helper()
	br := &Branchd{t: t, Dir: t.TempDir(), Logs: &LogBuf{}, exited: make(chan error, 1)}
	args := append([]string{"--data", br.Dir, "--http", "127.0.0.1:0", "--sip2", "127.0.0.1:0", "--pin-cost", "4", "--demo"}, extra...)
	br.cmd = exec.Command(bin, args...)
	stderr, err := br.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := br.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var sipAddr string
		for sc.Scan() {
			line := sc.Text()
			br.Logs.line(line)
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
		br.API, br.SIP = r[0], r[1]
	case err := <-br.exited:
		t.Fatalf("branchd exited: %v\n%s", err, br.Logs.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("branchd did not start\n%s", br.Logs.String())
	}
	return br
}

// Stop ends branchd with SIGTERM and waits for a clean exit.
func (br *Branchd) Stop() {
	br.t.Helper()
	br.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-br.exited:
		if err != nil {
			br.t.Fatalf("branchd exit: %v\n%s", err, br.Logs.String())
		}
	case <-time.After(30 * time.Second):
		br.t.Fatal("branchd did not stop")
	}
}
