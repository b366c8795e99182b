package sip2_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata with the server's answers")

// A transcript is a golden SIP2 session: "> request" lines are sent (a
// trailing AZ#### gets the right checksum), "< response" lines must be the
// server's exact answer, "<none>" says the request gets no answer (the next
// request's answer is read instead), "! advance DURATION" moves the clock,
// "# ..." are comments.
func runTranscript(t *testing.T, e *env, name string) {
	t.Helper()
	path := filepath.Join("testdata", name+".sip")
	raw, err := os.ReadFile(path)
	must(t, err)
	c := e.dial()
	var out []string
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "> "):
			req := withAZ(line[2:])
			c.send(req + "\r")
			out = append(out, line)
			if i+1 < len(lines) && lines[i+1] == "<none>" {
				out = append(out, "<none>")
				i++
				continue
			}
			got := c.read()
			out = append(out, "< "+got)
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "< ") {
				if want := lines[i+1][2:]; got != want && !*update {
					t.Errorf("%s:%d: request %q\n got: %q\nwant: %q", path, i+1, req, got, want)
				}
				i++
			} else if !*update {
				t.Errorf("%s:%d: no expected response after %q (got %q)", path, i+1, req, got)
			}
		case strings.HasPrefix(line, "! advance "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "! advance "))
			must(t, err)
			e.clock.Advance(d)
			out = append(out, line)
		case strings.HasPrefix(line, "< "):
			if !*update {
				t.Errorf("%s:%d: response without a request", path, i+1)
			}
		default:
			out = append(out, line)
		}
	}
	if *update {
		must(t, os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o644))
	}
}

// TestTranscripts replays every golden session against a fresh branch.
func TestTranscripts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *env)
	}{
		{name: "login"},
		{name: "checksum"},
		{name: "patron_status", setup: func(e *env) {
			e.lend("21000001", "39000004")
			_, err := e.svc.RegisterPatron(e.desk, domain.NewPatron{Cardnumber: "21000006", Firstname: "David J.", Surname: "Jones",
				Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
			must(t, err)
		}},
		{name: "pin_memory"},
		{name: "patron_info", setup: func(e *env) {
			e.lend("21000004", "39000004")
			e.lend("21000004", "39000005")
			e.hold("21000004", "39000002", "MAIN") // waiting: Dune is on the shelf, not trapped
			e.hold("21000004", "39000006", "MAIN")
			if _, err := e.svc.Checkin(e.desk, branchCheckin("39000006")); err != nil { // trapped: ready
				t.Fatal(err)
			}
			e.clock.Advance(30 * 24 * time.Hour) // the loans are overdue
		}},
		{name: "pin_lockout"},
		{name: "checkout", setup: func(e *env) {
			e.hold("21000003", "39000005", "MAIN")
			if _, err := e.svc.Checkin(e.desk, branchCheckin("39000005")); err != nil { // trapped for Cat
				t.Fatal(err)
			}
		}},
		{name: "checkin", setup: func(e *env) {
			e.lend("21000001", "39000001")
			e.lend("21000001", "39000002")
			e.lend("21000001", "39000003")
			e.lend("21000001", "39000004")
			e.hold("21000003", "39000002", "MAIN")
			e.hold("21000005", "39000004", "EAST")
		}},
		{name: "renew", setup: func(e *env) {
			e.lend("21000001", "39000001")
			e.lend("21000001", "39000002")
			e.lend("21000001", "39000004")
			e.lend("21000003", "39000005")
			e.hold("21000003", "39000002", "MAIN")
		}},
		{name: "hold"},
		{name: "fee_paid"},
		{name: "item_info", setup: func(e *env) {
			e.lend("21000001", "39000001")
			e.hold("21000003", "39000001", "MAIN")
			e.setProperties("39000002", "Book and audio CD, 2 parts")
		}},
		{name: "item_status_update"},
		{name: "block_enable"},
		{name: "garbage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			runTranscript(t, e, tc.name)
		})
	}
}
