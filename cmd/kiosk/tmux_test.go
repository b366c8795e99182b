package main_test

import (
	"strings"
	"testing"

	"stacks/node/e2etest"
)

// TestKioskPINHiddenInTmux runs the kiosk in a real terminal (tmux) against
// a real branchd: the card number shows as it is typed, the PIN does not,
// and the patron is let in with it.
func TestKioskPINHiddenInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	x := e2etest.NewTmux(t)
	b := binaries(t)
	br := startBranchd(t, b["branchd"])
	x.Context = br.Logs.String
	x.Start("kiosk", 120, 30, b["kiosk"]+" --acs "+br.SIP+" --location TMUX-KIOSK")

	const card, pin = "21000000000001", "1234"
	x.WaitFor("kiosk", "Scan your library card")
	x.Send("kiosk", card, "Enter")
	x.WaitFor("kiosk", card, "PIN:")
	x.Send("kiosk", pin, "Enter")
	screen := x.WaitFor("kiosk", "[o] check out")
	for _, line := range strings.Split(screen, "\n") {
		if strings.Contains(line, "PIN:") && strings.TrimSpace(line) != "PIN:" {
			t.Errorf("the PIN line shows more than the prompt: %q", line)
		}
	}
	if strings.Count(screen, pin) != 0 {
		t.Errorf("the PIN %s is on the screen:\n%s", pin, screen)
	}
}
