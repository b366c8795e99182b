package main_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKioskPINHiddenInTmux runs the kiosk in a real terminal (tmux) against
// a real branchd: the card number shows as it is typed, the PIN does not,
// and the patron is let in with it.
func TestKioskPINHiddenInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux); skipping the real-terminal test")
	}
	b := binaries(t)
	br := startBranchd(t, b["branchd"])

	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	tmux("-f", "/dev/null", "new-session", "-d", "-s", "kiosk", "-x", "120", "-y", "30",
		b["kiosk"]+" --acs "+br.SIP+" --location TMUX-KIOSK")
	t.Cleanup(func() { exec.Command("tmux", "-S", sock, "kill-server").Run() })
	waitFor := func(wants ...string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			s := tmux("capture-pane", "-p", "-t", "kiosk")
			ok := true
			for _, w := range wants {
				ok = ok && strings.Contains(s, w)
			}
			if ok {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %q in the pane:\n%s\nbranchd:\n%s", wants, s, br.Logs.String())
			}
			<-tick.C
		}
	}

	const card, pin = "21000000000001", "1234"
	waitFor("Scan your library card")
	tmux("send-keys", "-t", "kiosk", card, "Enter")
	waitFor(card, "PIN:")
	tmux("send-keys", "-t", "kiosk", pin, "Enter")
	screen := waitFor("[o] check out")
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, "PIN:") && strings.TrimSpace(line) != "PIN:" {
			t.Errorf("the PIN line shows more than the prompt: %q", line)
		}
	}
	if strings.Count(screen, pin) != 0 {
		t.Errorf("the PIN %s is on the screen:\n%s", pin, screen)
	}
}
