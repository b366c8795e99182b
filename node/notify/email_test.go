package notify_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"stacks/branch/notices"
	"stacks/node/notify"
	"stacks/replicate/clock"
)

func emailConfig(ms *mailServer) notify.Config {
	c := baseConfig()
	c.SMTPAddr = ms.Addr
	c.SMTPTimeout = 5 * time.Second
	return c
}

// TestEmailDelivered sends a Finnish hold-ready notice to a real SMTP
// server and takes apart what it received: headers, both parts, links.
func TestEmailDelivered(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	n := mustNotifier(t, emailConfig(ms))
	m := fixture(notices.KindHoldReady, "fi")
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := ms.Messages()
	if len(got) != 1 {
		t.Fatalf("%d messages received, want 1", len(got))
	}
	if got[0].From != "library@example.org" || len(got[0].To) != 1 || got[0].To[0] != "patron@example.org" {
		t.Fatalf("envelope %q -> %q", got[0].From, got[0].To)
	}
	p := parseMail(t, got[0].Data)
	if want := "Noudettavissa: " + fxTitle + " (+1 muuta)"; p.Subject != want {
		t.Errorf("Subject %q, want %q", p.Subject, want)
	}
	raw := string(got[0].Data)
	if !strings.Contains(raw, "Subject: =?utf-8?q?") {
		t.Errorf("the subject is not RFC 2047 encoded:\n%s", raw[:400])
	}
	for _, line := range strings.Split(strings.SplitN(raw, "\r\n\r\n", 2)[0], "\r\n") {
		if len(line) > 998 {
			t.Errorf("header line of %d bytes", len(line))
		}
	}
	from, err := p.Header.AddressList("From")
	if err != nil || from[0].Name != "Stacks Public Library" || from[0].Address != "library@example.org" {
		t.Errorf("From %v %v", from, err)
	}
	id := p.Header.Get("Message-ID")
	if !strings.HasPrefix(id, "<notice.") || !strings.HasSuffix(id, "@example.org>") {
		t.Errorf("Message-ID %q", id)
	}
	// The same key gives the same Message-ID: a notice sent again is known.
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if again := parseMail(t, ms.Messages()[1].Data).Header.Get("Message-ID"); again != id {
		t.Errorf("Message-ID %q then %q for one key", id, again)
	}
	other := m
	other.Key = "another"
	if err := n.Send(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if third := parseMail(t, ms.Messages()[2].Data).Header.Get("Message-ID"); third == id {
		t.Error("two keys, one Message-ID")
	}
	lu := p.Header.Get("List-Unsubscribe")
	if !strings.Contains(lu, "<https://library.example.org/n/u/n1.") || !strings.Contains(lu, "<mailto:library@example.org?subject=unsubscribe%20hold_ready>") {
		t.Errorf("List-Unsubscribe %q", lu)
	}
	if got := p.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	if p.Header.Get("Auto-Submitted") != "auto-generated" || p.Header.Get("Date") == "" {
		t.Errorf("Auto-Submitted %q Date %q", p.Header.Get("Auto-Submitted"), p.Header.Get("Date"))
	}
	for _, w := range []string{"Hei Aino Ääninen", "24.12.2026", fxBranch, fxTitle, "Valitse, mitä ilmoituksia saat: https://library.example.org/n/u/n1."} {
		if !strings.Contains(p.Text, w) {
			t.Errorf("text lacks %q:\n%s", w, p.Text)
		}
	}
	for _, w := range []string{`<html lang="fi">`, "24.12.2026", "&lt;script&gt;", `src="https://library.example.org/n/o/n1.`,
		`href="https://library.example.org/n/c/n1.`, `src="https://library.example.org/static/logo"`} {
		if !strings.Contains(p.HTML, w) {
			t.Errorf("HTML lacks %q:\n%s", w, p.HTML)
		}
	}
	if strings.Contains(p.HTML, "<script>") {
		t.Error("a live <script> in the HTML")
	}
	// The unsubscribe URL of the header is the one the body links.
	u := strings.TrimSuffix(strings.TrimPrefix(strings.Split(lu, ", ")[0], "<"), ">")
	if !strings.Contains(p.HTML, u) {
		t.Errorf("the body does not link the one-click URL %s", u)
	}
}

// TestEmailKindWithoutPreference carries no List-Unsubscribe (nothing to
// turn off) but still links the preferences.
func TestEmailKindWithoutPreference(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	n := mustNotifier(t, emailConfig(ms))
	if err := n.Send(context.Background(), fixture(notices.KindWelcome, "en")); err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, ms.Messages()[0].Data)
	if p.Header.Get("List-Unsubscribe") != "" {
		t.Errorf("List-Unsubscribe %q on a welcome", p.Header.Get("List-Unsubscribe"))
	}
	if p.Subject != "Welcome to Stacks Public Library" || !strings.Contains(p.Text, "Choose which notices you get: https://library.example.org/n/c/") {
		t.Errorf("subject %q text:\n%s", p.Subject, p.Text)
	}
}

// TestEmailSTARTTLSAndAuth upgrades to TLS when the relay offers it and
// authenticates with AUTH PLAIN.
func TestEmailSTARTTLSAndAuth(t *testing.T) {
	srvTLS, cliTLS := testTLS(t)
	ms := startMailServer(t, mailOptions{TLS: srvTLS, User: "stacks", Pass: "s3cret"})
	c := emailConfig(ms)
	c.TLS, c.SMTPUser, c.SMTPPassword = cliTLS, "stacks", "s3cret"
	n := mustNotifier(t, c)
	for i := range 2 {
		m := fixture(notices.KindPreDue, "en")
		m.Key += string(rune('a' + i))
		if err := n.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := ms.Messages()
	if len(got) != 2 || !got[0].TLS || !got[1].TLS {
		t.Fatalf("want 2 messages over TLS, got %d", len(got))
	}
	if ms.authed < 1 {
		t.Fatal("never authenticated")
	}

	// A wrong password: temporary (the library's configuration, not the
	// patron's address).
	c.SMTPPassword = "wrong"
	bad := mustNotifier(t, c)
	err := bad.Send(context.Background(), fixture(notices.KindPreDue, "en"))
	if err == nil || errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("wrong password: want a temporary error, got %v", err)
	}
	// The relay's certificate not trusted: refused.
	c.SMTPPassword, c.TLS = "s3cret", nil
	untrusted := mustNotifier(t, c)
	if err := untrusted.Send(context.Background(), fixture(notices.KindPreDue, "en")); err == nil || errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("untrusted certificate: want a temporary error, got %v", err)
	}
}

// TestEmailStartTLSRequired refuses a relay without STARTTLS when TLS is
// required, and never sends a password in the clear to a remote relay.
func TestEmailStartTLSRequired(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	c := emailConfig(ms)
	c.StartTLS = notify.StartTLSRequired
	n := mustNotifier(t, c)
	err := n.Send(context.Background(), fixture(notices.KindHoldReady, "en"))
	if !errors.Is(err, notify.ErrNoStartTLS) || errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("want ErrNoStartTLS (temporary), got %v", err)
	}
	if len(ms.Messages()) != 0 {
		t.Fatal("a message went out without TLS")
	}
}

// TestEmailRecipientRefused fails the refused message alone: the next
// one goes out, on the same connection.
func TestEmailRecipientRefused(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	ms.Refuse("gone@example.org", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	ms.Refuse("full@example.org", &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"})
	n := mustNotifier(t, emailConfig(ms))
	ctx := context.Background()
	send := func(to, key string) error {
		m := fixture(notices.KindOverdue1, "en")
		m.To, m.Key = to, key
		return n.Send(ctx, m)
	}
	if err := send("a@example.org", "1"); err != nil {
		t.Fatal(err)
	}
	if err := send("gone@example.org", "2"); !errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("550 to RCPT: want permanent, got %v", err)
	}
	if err := send("full@example.org", "3"); err == nil || errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("452 to RCPT: want temporary, got %v", err)
	}
	if err := send("b@example.org", "4"); err != nil {
		t.Fatal(err)
	}
	got := ms.Messages()
	if len(got) != 2 || got[0].To[0] != "a@example.org" || got[1].To[0] != "b@example.org" {
		t.Fatalf("received %+v", got)
	}
	if s := ms.Sessions(); s != 1 {
		t.Errorf("%d connections for 4 messages, want 1 reused", s)
	}
}

// TestEmailMalformedAddress is permanent before any connection.
func TestEmailMalformedAddress(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	n := mustNotifier(t, emailConfig(ms))
	for _, to := range []string{"", "not an address", "a@b@c", "Aino <a@example.org>", "ä@example.org", "a@example.org\r\nBcc: x@y"} {
		m := fixture(notices.KindHoldReady, "en")
		m.To = to
		if err := n.Send(context.Background(), m); !errors.Is(err, notices.ErrPermanent) {
			t.Errorf("%q: want permanent, got %v", to, err)
		}
	}
	if ms.Sessions() != 0 {
		t.Errorf("%d connections for malformed addresses", ms.Sessions())
	}
}

// TestEmailRelayDown is temporary, and quick: refused connections and a
// relay that never answers (timeouts injected).
func TestEmailRelayDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accepts, never greets
		}
	}()
	for _, addr := range []string{closed, silent.Addr().String()} {
		c := baseConfig()
		c.SMTPAddr, c.SMTPTimeout = addr, 200*time.Millisecond
		n := mustNotifier(t, c)
		start := time.Now()
		err := n.Send(context.Background(), fixture(notices.KindHoldReady, "en"))
		if err == nil || errors.Is(err, notices.ErrPermanent) {
			t.Fatalf("%s: want a temporary error, got %v", addr, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%s: took %v", addr, d)
		}
	}
	// A context cancelled mid-send ends it too.
	c := baseConfig()
	c.SMTPAddr = silent.Addr().String()
	n := mustNotifier(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := n.Send(ctx, fixture(notices.KindHoldReady, "en")); err == nil || errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("cancelled: want a temporary error, got %v", err)
	}
}

// TestEmailReconnects after the relay dropped a kept connection.
func TestEmailReconnects(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	n := mustNotifier(t, emailConfig(ms))
	if err := n.Send(context.Background(), fixture(notices.KindHoldReady, "en")); err != nil {
		t.Fatal(err)
	}
	// Restart the relay on the same address: the kept connection is dead.
	ms.srv.Close()
	ms2 := startMailServerAt(t, ms.Addr)
	m := fixture(notices.KindHoldReady, "en")
	m.Key = "second"
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatalf("after the relay restarted: %v", err)
	}
	if len(ms2.Messages()) != 1 {
		t.Fatal("the second message did not arrive")
	}
}

func startMailServerAt(t *testing.T, addr string) *mailServer {
	t.Helper()
	var last error
	for range 50 {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			break
		}
		last = err
		time.Sleep(10 * time.Millisecond)
	}
	_ = last
	ms := &mailServer{refuse: map[string]*smtp.SMTPError{}}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ms.mu.Lock()
		ms.sessions++
		ms.mu.Unlock()
		return &mailSession{ms: ms, c: c}, nil
	}))
	s.Domain, s.ErrorLog = "localhost", discardLogger{}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	ms.Addr, ms.srv = addr, s
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return ms
}

// TestEmailNoChannel: a channel not configured is permanent, and Has
// says so beforehand.
func TestEmailNoChannel(t *testing.T) {
	n := mustNotifier(t, baseConfig())
	if n.Has(notices.ChannelEmail) || n.Has(notices.ChannelSMS) || !n.Has(notices.ChannelPrint) {
		t.Fatal("Has")
	}
	err := n.Send(context.Background(), fixture(notices.KindHoldReady, "en"))
	if !errors.Is(err, notify.ErrNoChannel) || !errors.Is(err, notices.ErrPermanent) {
		t.Fatalf("got %v", err)
	}
}

// TestEmailIdleConnectionClosed: a connection unused for longer than
// SMTPIdle is not reused; one used within it is.
func TestEmailIdleConnectionClosed(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	c := emailConfig(ms)
	fake := clock.NewFake(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	c.Clock, c.SMTPIdle = fake, time.Minute
	n := mustNotifier(t, c)
	send := func(key string) {
		t.Helper()
		m := fixture(notices.KindHoldReady, "en")
		m.Key = key
		if err := n.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	send("1")
	fake.Advance(30 * time.Second)
	send("2")
	if s := ms.Sessions(); s != 1 {
		t.Fatalf("%d connections within the idle time, want 1", s)
	}
	fake.Advance(2 * time.Minute)
	send("3")
	if s := ms.Sessions(); s != 2 {
		t.Fatalf("%d connections after the idle time, want 2", s)
	}
	if len(ms.Messages()) != 3 {
		t.Fatal("messages lost")
	}
}

// TestEmailClassification: which answers of the relay are permanent for
// the message and which are temporary.
func TestEmailClassification(t *testing.T) {
	ms := startMailServer(t, mailOptions{})
	n := mustNotifier(t, emailConfig(ms))
	send := func(to, key string) error {
		m := fixture(notices.KindDueToday, "en")
		m.To, m.Key = to, key
		return n.Send(context.Background(), m)
	}
	ms.mu.Lock()
	ms.dataRefuse["spam@example.org"] = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "rejected"}
	ms.dataRefuse["later@example.org"] = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	ms.mu.Unlock()
	if err := send("spam@example.org", "d1"); !errors.Is(err, notices.ErrPermanent) {
		t.Errorf("554 to DATA: want permanent, got %v", err)
	}
	if err := send("later@example.org", "d2"); err == nil || errors.Is(err, notices.ErrPermanent) {
		t.Errorf("451 to DATA: want temporary, got %v", err)
	}
	for _, tc := range []struct {
		e         *smtp.SMTPError
		permanent bool
	}{
		{&smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "too big"}, true},
		{&smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender not allowed"}, false},
		{&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "later"}, false},
	} {
		ms.mu.Lock()
		ms.mailRefuse = tc.e
		ms.mu.Unlock()
		err := send("ok@example.org", "m")
		if err == nil || errors.Is(err, notices.ErrPermanent) != tc.permanent {
			t.Errorf("%d to MAIL: permanent %v, got %v", tc.e.Code, tc.permanent, err)
		}
	}
	ms.mu.Lock()
	ms.mailRefuse = nil
	ms.mu.Unlock()
	if err := send("ok@example.org", "last"); err != nil {
		t.Fatalf("after the refusals: %v", err)
	}
}
