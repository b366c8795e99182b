package node_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"stacks/node"
	"stacks/node/nodetest"
)

// logBuffer is a log destination the test reads while the node writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// line waits for the log line with message msg and returns it.
func (b *logBuffer) line(t *testing.T, msg string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.Contains(l, `msg="`+msg+`"`) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line %q in:\n%s", msg, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func branchConfig(t *testing.T, logs *logBuffer) node.Config {
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Demo, cfg.Branch = filepath.Join(t.TempDir(), "main"), "127.0.0.1:0", 4, false, "MAIN"
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return cfg
}

// TestStartupLogSaysWhereServicesListen: one line per listener with its
// address and who can reach it; a loopback listener says which flag serves
// the LAN instead.
func TestStartupLogSaysWhereServicesListen(t *testing.T) {
	logs := &logBuffer{}
	cfg := branchConfig(t, logs)
	cfg.SIP2Addr = "127.0.0.1:0"
	n := nodetest.Start(t, cfg)

	for _, tc := range []struct{ msg, want string }{
		{"branchd serving", `http=http://` + n.Addr() + ` reach="loopback only: pass --http ADDR to serve staff desks and patrons on the LAN"`},
		{"sip2 serving", `addr=` + n.SIP2Addr() + ` tls=false reach="loopback only: pass --sip2 ADDR to serve kiosks on the LAN"`},
		{"node-to-node API serving on the HTTP listener", `level=INFO`},
		{"node-to-node API serving on the HTTP listener", `addr=` + n.Addr() + ` auth="none: `},
	} {
		if l := logs.line(t, tc.msg); !strings.Contains(l, tc.want) {
			t.Errorf("log line %q lacks %q:\n%s", tc.msg, tc.want, l)
		}
	}
}

// TestOpenFailureClosesWhatItOpened: a step of Open that fails (SIP2's
// address is taken) closes what the earlier steps opened: the HTTP
// listener's port is free again and the data dir opens again.
func TestOpenFailureClosesWhatItOpened(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := free.Addr().String()
	free.Close()

	logs := &logBuffer{}
	cfg := branchConfig(t, logs)
	cfg.HTTPAddr, cfg.SIP2Addr = httpAddr, taken.Addr().String()
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "listen SIP2") {
		t.Fatalf("Open with SIP2's address taken: %v, want a listen error", err)
	}

	cfg.SIP2Addr = ""
	again := nodetest.Start(t, cfg) // fails the test if the port or the store were left open
	if again.Addr() != httpAddr {
		t.Fatalf("listening on %s, want %s", again.Addr(), httpAddr)
	}
}
