package main_test

import (
	"strings"
	"testing"

	"stacks/node/e2etest"
)

// TestHelpKioskToDeskInTmux: the reference kiosk and the real desk
// (stacks tui), each in a real terminal, against a real branchd with the
// demo library. Someone at the kiosk asks for help without a card; the
// desk, on its checkout screen, shows the banner of a new request; staff
// open the help queue (F9) and answer; the kiosk shows the answer; the
// patron replies, the desk sees it and closes the request, and the kiosk
// says so.
func TestHelpKioskToDeskInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three binaries; skipped with -short")
	}
	x := e2etest.NewTmux(t)
	b := e2etest.Binaries(t, "stacks", "branchd", "kiosk")
	br := e2etest.StartBranchd(t, b["branchd"])
	x.Context = br.Logs.String

	x.Start("desk", 120, 40, b["stacks"]+" tui --api "+br.API)
	x.WaitFor("desk", "Log in to the desk")
	x.Send("desk", "clerk", "Tab", "clerk", "Enter")
	x.WaitFor("desk", "F1 Checkout", "clerk · circulation", "F9 Help")

	x.Start("kiosk", 120, 30, b["kiosk"]+" --acs "+br.SIP+" --api "+br.API+" --location LOBBY-KIOSK")
	x.WaitFor("kiosk", "Scan your library card", "[h] ask staff for help")
	x.Send("kiosk", "h", "Enter")
	x.WaitFor("kiosk", "What do you need help with?")
	x.Send("kiosk", "The printer is out of paper", "Enter")
	x.WaitFor("kiosk", "Your request is sent", "Waiting for staff")

	// The banner, on the checkout screen.
	x.WaitFor("desk", "NEW HELP REQUEST from kiosk LOBBY-KIOSK", "The printer is out of paper")
	x.Send("desk", "F9")
	x.WaitFor("desk", "Help requests (1 open here)", "kiosk LOBBY-KIOSK", "From kiosk LOBBY-KIOSK (anonymous)")
	x.Send("desk", "a")
	x.WaitFor("desk", "Answer: The printer is out of paper")
	x.Send("desk", "Paper is on its way", "Enter")
	x.WaitFor("desk", "Answer sent", "clerk: Paper is on its way")

	x.WaitFor("kiosk", "Staff answer: Paper is on its way", "Reply (or Enter to finish)")
	x.Send("kiosk", "Thanks", "Enter")
	x.WaitFor("kiosk", "Your reply is sent.")

	x.WaitFor("desk", "patron: Thanks", "waiting for staff")
	x.Send("desk", "x")
	x.WaitFor("desk", "Closed", "Nobody is asking for help.")
	screen := x.WaitFor("kiosk", "Staff have closed your request.")
	if !strings.Contains(screen, "Scan your library card") {
		t.Errorf("the kiosk did not go back to its first screen:\n%s", screen)
	}
}
