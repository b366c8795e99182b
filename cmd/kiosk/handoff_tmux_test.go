package main_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// postJSON posts v with an optional bearer token into out; the status.
func postJSON(t *testing.T, url, token string, v, out any) int {
	t.Helper()
	b, _ := json.Marshal(v)
	req, err := http.NewRequest("POST", url, bytes.NewReader(b))
	must(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
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
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (apt-get install tmux); skipping the real-terminal test")
	}
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

	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tmux := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", sock, "kill-server").Run() })
	waitFor := func(session string, wants ...string) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			s := tmux("capture-pane", "-p", "-t", session)
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
	for i, want := range []string{"[o] check out", "already been used"} {
		name := []string{"first", "second"}[i]
		tmux("-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "120", "-y", "30",
			b["kiosk"]+" --acs "+br.SIP+" --location TMUX-KIOSK")
		waitFor(name, "Scan your library card")
		tmux("send-keys", "-t", name, card, "Enter")
		waitFor(name, card, "PIN:")
		tmux("send-keys", "-t", name, hc.Code, "Enter")
		screen := waitFor(name, want)
		if strings.Contains(screen, hc.Code) {
			t.Errorf("%s: the code is on the screen like a PIN would not be:\n%s", name, screen)
		}
	}
}
