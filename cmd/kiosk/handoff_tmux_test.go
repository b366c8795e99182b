package main_test

import (
	"strings"
	"testing"

	"stacks/node/e2etest"
)

// postJSON posts v with an optional bearer token into out; the status.
func postJSON(t *testing.T, url, token string, v, out any) int {
	t.Helper()
	return e2etest.Call(t, "POST", url, token, v, out)
}

// TestKioskHandoffCodeInTmux: a patron makes a "log me in at the kiosk"
// code through the patron API of a real branchd; at the reference kiosk in
// a real terminal they type their card and then the code in place of the
// PIN, and are let in; the same code in a new session is refused on the
// screen.
func TestKioskHandoffCodeInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs branchd and kiosk processes")
	}
	x := e2etest.NewTmux(t)
	b := binaries(t)
	br := startBranchd(t, b["branchd"])
	const card = "21000000000001"
	var sess struct {
		Token string `json:"token"`
	}
	if code := postJSON(t, br.API+"/api/v1/auth/patron", "", map[string]string{"cardnumber": card, "pin": "1234"}, &sess); code != 200 {
		t.Fatalf("patron login: %d", code)
	}
	var hc struct {
		Code string `json:"code"`
	}
	if code := postJSON(t, br.API+"/api/v1/patron/handoff_codes", sess.Token, map[string]string{"intent": "kiosk_login"}, &hc); code != 201 || hc.Code == "" {
		t.Fatalf("handoff code: %d %+v", code, hc)
	}

	x.Context = br.Logs.String
	for i, want := range []string{"[o] check out", "already been used"} {
		name := []string{"first", "second"}[i]
		x.Start(name, 120, 30, b["kiosk"]+" --acs "+br.SIP+" --location TMUX-KIOSK")
		x.WaitFor(name, "Scan your library card")
		x.Send(name, card, "Enter")
		x.WaitFor(name, card, "PIN:")
		x.Send(name, hc.Code, "Enter")
		screen := x.WaitFor(name, want)
		if strings.Contains(screen, hc.Code) {
			t.Errorf("%s: the code is on the screen like a PIN would not be:\n%s", name, screen)
		}
	}
}
