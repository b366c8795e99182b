package e2etest

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tmux is a tmux server of the test's own (its own socket), so a test
// never touches the user's sessions; it is killed when the test ends.
type Tmux struct {
	t    testing.TB
	sock string
	// Context, when set, adds to a timeout's message (a daemon's logs).
	Context func() string
}

// NewTmux starts nothing yet; it skips the test when tmux is missing.
func NewTmux(t testing.TB) *Tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux); skipping the real-terminal test")
	}
	x := &Tmux{t: t, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	t.Cleanup(func() { exec.Command("tmux", "-S", x.sock, "kill-server").Run() })
	return x
}

// Run runs a tmux command on the test's server.
func (x *Tmux) Run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.sock}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Start runs command in a new detached session of width x height cells.
func (x *Tmux) Start(session string, width, height int, command string) {
	x.t.Helper()
	x.Run("-f", "/dev/null", "new-session", "-d", "-s", session, "-x", itoa(width), "-y", itoa(height), command)
}

// Send types keys into the session (tmux send-keys names: "Enter", "F1").
func (x *Tmux) Send(session string, keys ...string) {
	x.t.Helper()
	x.Run(append([]string{"send-keys", "-t", session}, keys...)...)
}

// Capture is the session's screen as text.
func (x *Tmux) Capture(session string) string {
	x.t.Helper()
	return x.Run("capture-pane", "-p", "-t", session)
}

// WaitFor polls the session's screen until it shows every one of wants,
// for at most 20 seconds, and returns it.
func (x *Tmux) WaitFor(session string, wants ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		s := x.Capture(session)
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			more := ""
			if x.Context != nil {
				more = x.Context()
			}
			x.t.Fatalf("timed out waiting for %q in the %s pane:\n%s\n%s", wants, session, s, more)
		}
		<-tick.C
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
