package sip2_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/hardware/sip2"
)

// externalClient starts a generic TCP client we did not write (socat, else
// OpenBSD netcat) connected to addr, with its stdin and stdout as pipes. It
// skips the test if neither tool is installed.
func externalClient(t *testing.T, addr string) (send func(string), recv func() string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	var args []string
	if p, err := exec.LookPath("socat"); err == nil {
		args = []string{p, "-t", "5", "-", "TCP:" + addr}
	} else if p, err := exec.LookPath("nc"); err == nil {
		args = []string{p, "-N", host, port}
	} else {
		t.Skip("neither socat nor nc (netcat-openbsd) is installed; apt-get install socat to run this test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	inR, inW, err := os.Pipe()
	must(t, err)
	outR, outW, err := os.Pipe()
	must(t, err)
	cmd.Stdin, cmd.Stdout = inR, outW
	var stderr strings.Builder
	cmd.Stderr = &stderr
	must(t, cmd.Start())
	inR.Close()
	outW.Close()
	t.Cleanup(func() {
		inW.Close() // end of input: the tool half-closes and exits when the ACS closes
		err := cmd.Wait()
		cancel()
		outR.Close()
		if err != nil && !t.Failed() {
			t.Errorf("%s: %v (stderr %q)", args[0], err, stderr.String())
		}
	})
	t.Logf("client: %s", strings.Join(args, " "))
	br := bufio.NewReader(outR)
	send = func(s string) {
		t.Helper()
		if _, err := inW.WriteString(s + "\r"); err != nil {
			t.Fatalf("writing to %s: %v", args[0], err)
		}
	}
	recv = func() string {
		t.Helper()
		outR.SetReadDeadline(time.Now().Add(20 * time.Second))
		line, err := br.ReadString('\r')
		if err != nil {
			t.Fatalf("reading from %s: %v (got %q, stderr %q)", args[0], err, line, stderr.String())
		}
		return line
	}
	return send, recv
}

var trailer = regexp.MustCompile(`^(.*AZ)([0-9A-F]{4})\r$`)

// checkWire checks one raw response: CR-terminated, ends with AY<seq> (if
// seq >= 0) and AZ with a right checksum over every byte before it.
func checkWire(t *testing.T, resp, code string, seq int) string {
	t.Helper()
	m := trailer.FindStringSubmatch(resp)
	if m == nil {
		t.Fatalf("response %q: no CR-terminated AZ trailer", resp)
	}
	if got := sip2.Checksum([]byte(m[1])); got != m[2] {
		t.Fatalf("response %q: checksum %s, the bytes sum to %s", resp, m[2], got)
	}
	if !strings.HasPrefix(resp, code) {
		t.Fatalf("response %q: want a %s", resp, code)
	}
	body := strings.TrimSuffix(m[1], "AZ")
	if seq >= 0 {
		if !strings.HasSuffix(body, "AY"+strconv.Itoa(seq)) {
			t.Fatalf("response %q: want sequence number AY%d", resp, seq)
		}
		body = strings.TrimSuffix(body, "AY"+strconv.Itoa(seq))
	}
	return body
}

// fields returns the variable fields of a response body after its fixed part.
func fields(body string, fixed int) map[string]string {
	out := map[string]string{}
	for _, f := range strings.Split(body[2+fixed:], "|") {
		if len(f) >= 2 {
			if _, ok := out[f[:2]]; !ok {
				out[f[:2]] = f[2:]
			}
		}
	}
	return out
}

// TestExternalClient drives the ACS with socat (or netcat) over a real
// loopback connection: messages copied from the 3M SIP2 Developer's Guide
// byte for byte where the guide gives them (with their published
// checksums), ours with checksums computed here, and every response checked
// on the wire.
func TestExternalClient(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.SetStaff(e.desk, domain.NewStaff{Username: "demo-kiosk", DisplayName: "Demo kiosk", Role: domain.RoleKiosk,
		BranchID: "MAIN", Password: "demo-kiosk"})
	must(t, err)
	send, recv := externalClient(t, e.addr)
	withSum := func(s string) string { return s + sip2.Checksum([]byte(s)) }

	// The guide's login, verbatim: well-formed (checksum EC7B accepted), but
	// no such account here, so 940 with its sequence number.
	send("9300CNLoginUserID|COLoginPassword|CPLocationCode|AY5AZEC7B")
	if got := recv(); got != "940AY5AZFDF9\r" {
		t.Fatalf("guide login: %q, want 940AY5AZFDF9", got)
	}
	// The same login with the demo kiosk account.
	send(withSum("9300CNdemo-kiosk|COdemo-kiosk|CPLocationCode|AY0AZ"))
	if got := recv(); got != "941AY0AZFDFD\r" {
		t.Fatalf("demo-kiosk login: %q, want the guide's 941AY0AZFDFD", got)
	}
	// The guide's SC status, verbatim.
	send("9900302.00AY1AZFCA5")
	body := checkWire(t, recv(), "98", 1)
	if len(body) < 2+34 || body[2] != 'Y' || body[2+30:2+34] != "2.00" {
		t.Fatalf("ACS status %q: want online (Y) and protocol 2.00 in the fixed part", body)
	}
	f := fields(body, 34)
	if f["AO"] != "STACKS" || len(f["BX"]) != 16 || strings.Trim(f["BX"], "YN") != "" || f["AM"] == "" {
		t.Fatalf("ACS status %q: want AO STACKS, AM the library, BX 16 Y/N", body)
	}
	// Patron status with the PIN, in the guide's layout.
	send(withSum("2300120261123    100000AOSTACKS|AA21000001|AC|AD1234|AY2AZ"))
	body = checkWire(t, recv(), "24", 2)
	f = fields(body, 35)
	if f["AA"] != "21000001" || f["BL"] != "Y" || f["CQ"] != "Y" || !strings.Contains(f["AE"], "Able") {
		t.Fatalf("patron status %q: want AA, BL=Y, CQ=Y, AE with the name", body)
	}
	// Checkout, then checkin, of one item.
	send(withSum("11YN20261123    100000                  AOSTACKS|AA21000001|AB39000002|AC|AY3AZ"))
	body = checkWire(t, recv(), "121", 3)
	f = fields(body, 22)
	if f["AB"] != "39000002" || f["AJ"] != "Dune" || f["AH"] == "" || f["AA"] != "21000001" {
		t.Fatalf("checkout %q: want AB, AJ Dune, AH a due date", body)
	}
	send(withSum("09N20261123    10000020261123    100000APMAIN|AOSTACKS|AB39000002|AC|AY4AZ"))
	body = checkWire(t, recv(), "101", 4)
	if f = fields(body, 22); f["AB"] != "39000002" {
		t.Fatalf("checkin %q: want AB", body)
	}
	// A corrupted checksum: 96, exactly as the guide prints it, and nothing done.
	send("9900302.00AY1AZFCA6")
	if got := recv(); got != "96AZFEF6\r" {
		t.Fatalf("bad checksum: %q, want 96AZFEF6", got)
	}
	// 97 (resend): the last response again, with a fresh checksum.
	send(withSum("97AZ"))
	checkWire(t, recv(), "101", -1)
}
