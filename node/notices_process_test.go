package node_test

import (
	"fmt"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"stacks/branch/domain"
	"stacks/node/apitype"
)

// relay is a go-smtp server that keeps the messages it takes. A gated one
// (open >= 0) accepts the first open messages and then holds every
// further DATA unanswered until release is closed: a send in flight when
// branchd is killed.
type relay struct {
	mu       sync.Mutex
	msgs     []string
	open     int
	arrived  chan struct{} // a DATA is being held
	release  chan struct{}
	released sync.Once
}

// startRelay serves a relay on 127.0.0.1 for the test's time: open < 0
// accepts everything.
func startRelay(t *testing.T, open int) (*relay, string) {
	t.Helper()
	rl := &relay{open: open, arrived: make(chan struct{}, 1), release: make(chan struct{})}
	if open < 0 {
		rl.open = 1 << 30
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return relaySession{rl}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { rl.openGate(); srv.Close() })
	return rl, ln.Addr().String()
}

// openGate lets every message through from now on, held ones included
// (they are refused with a 451, as a relay going away would).
func (r *relay) openGate() {
	r.mu.Lock()
	r.open = 1 << 30
	r.mu.Unlock()
	r.released.Do(func() { close(r.release) })
}

type relaySession struct{ r *relay }

func (s relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s relaySession) Reset()                               {}
func (s relaySession) Logout() error                        { return nil }
func (s relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	hold := s.r.open <= 0
	if !hold {
		s.r.open--
		s.r.msgs = append(s.r.msgs, string(b))
	}
	s.r.mu.Unlock()
	if hold {
		select {
		case s.r.arrived <- struct{}{}:
		default:
		}
		<-s.r.release
		return &smtp.SMTPError{Code: 451, Message: "relay going away"}
	}
	return nil
}

func (r *relay) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// TestDemoSendsHoldNoticesOnceAcrossAKill is the process test:
// `branchd --demo --smtp ... --mail-from ...` sends a hold-ready notice for
// each of the demo's ready holds whose patron has an email; killed with
// SIGKILL while a message is in flight and started again on the same data,
// it sends nothing twice, and the notice whose outcome the kill lost is
// "unknown", not sent again.
func TestDemoSendsHoldNoticesOnceAcrossAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs branchd processes")
	}
	rl, addr := startRelay(t, 2)

	data := t.TempDir()
	args := []string{"--demo", "--data", data, "--sip2", "", "--smtp", addr, "--mail-from", "library@example.org"}
	p := startBranchd(t, args...)
	select {
	case <-rl.arrived:
	case err := <-p.done:
		t.Fatalf("branchd exited: %v\n%s", err, p.logText())
	case <-time.After(90 * time.Second):
		t.Fatalf("no third notice reached the relay; got %d\n%s", len(rl.received()), p.logText())
	}
	// Two accepted, the third in flight: kill it there.
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	before := len(rl.received())
	rl.openGate()

	p = startBranchd(t, args...)
	// Every ready hold whose patron has an email: its notice sent, or
	// unknown (the one in flight at the kill), and the run settled.
	type want struct{ patron, email, hold string }
	var wants []want
	var patrons []domain.Patron
	for page := 1; ; page++ {
		var ps []domain.Patron
		if code := getJSON(t, fmt.Sprintf("%s/api/v1/patrons?_per_page=100&_page=%d", p.url, page), &ps); code != 200 {
			t.Fatalf("patrons: %d", code)
		}
		patrons = append(patrons, ps...)
		if len(ps) < 100 {
			break
		}
	}
	for _, pt := range patrons {
		var hs []domain.Hold
		getJSON(t, p.url+"/api/v1/holds?patron_id="+pt.PatronID, &hs)
		for _, h := range hs {
			if h.Status == domain.HoldReady && pt.Email != "" {
				wants = append(wants, want{pt.PatronID, pt.Email, h.HoldID})
			}
		}
	}
	if len(wants) == 0 {
		t.Fatal("the demo has no ready hold of a patron with an email")
	}
	notices := func(patronID string) []domain.Notice {
		var pn apitype.PatronNotices
		if code := getJSON(t, p.url+"/api/v1/patrons/"+patronID+"/notices", &pn); code != 200 {
			t.Fatalf("notices of %s: %d", patronID, code)
		}
		return pn.Notices
	}
	deadline := time.Now().Add(90 * time.Second)
	poll := time.NewTicker(200 * time.Millisecond)
	defer poll.Stop()
	for {
		pending := 0
		for _, w := range wants {
			found := false
			for _, n := range notices(w.patron) {
				if n.Kind == "hold_ready" && strings.Contains(n.Key, w.hold) && (n.Status == "sent" || n.Status == "unknown") {
					found = true
				}
			}
			if !found {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d ready holds have no hold-ready notice sent\n%s", pending, len(wants), p.logText())
		}
		<-poll.C
	}

	// Nothing twice: every Message-ID once, and every email notice marked
	// sent was received (unknown ones at most the one in flight). The
	// notices are read first: a message reaches the relay before its
	// notice is marked sent.
	sent, unknown := 0, 0
	for _, pt := range patrons {
		for _, n := range notices(pt.PatronID) {
			if n.Channel != "email" {
				continue
			}
			switch n.Status {
			case "sent":
				sent++
			case "unknown":
				unknown++
			}
		}
	}
	got := rl.received()
	seen := map[string]bool{}
	for _, raw := range got {
		m, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			t.Fatalf("a message that does not parse: %v", err)
		}
		id := m.Header.Get("Message-Id")
		if id == "" {
			t.Fatal("a message without a Message-ID")
		}
		if seen[id] {
			t.Errorf("message %s (%s) received twice", id, m.Header.Get("Subject"))
		}
		seen[id] = true
	}
	if unknown > 1 {
		t.Errorf("%d notices unknown; only the one in flight at the kill may be", unknown)
	}
	if len(got) < sent {
		t.Errorf("%d email notices marked sent, %d messages received", sent, len(got))
	}
	t.Logf("%d ready holds with an email; %d messages before the kill, %d in all; %d sent, %d unknown",
		len(wants), before, len(got), sent, unknown)
}
