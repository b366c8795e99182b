package notify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/node/notify"
)

// testKey is the cluster key of the tests.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// recTracker records what the tracking endpoints report.
type recTracker struct {
	mu      sync.Mutex
	opened  []string
	clicked [][2]string
	bounced []string
}

func (r *recTracker) Opened(_ context.Context, key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.opened = append(r.opened, key)
	return nil
}

func (r *recTracker) Clicked(_ context.Context, key, url string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clicked = append(r.clicked, [2]string{key, url})
	return nil
}

func (r *recTracker) Bounced(_ context.Context, key, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bounced = append(r.bounced, key)
	return nil
}

var _ notices.Tracker = (*recTracker)(nil)

// baseConfig is a notifier config with the test key and fixed clock.
func baseConfig() notify.Config {
	c := notify.DefaultConfig()
	c.ClusterKey = testKey
	c.Currency = "EUR"
	c.PublicURL = "https://library.example.org"
	c.MailFrom = "library@example.org"
	c.Prefs = &memPrefs{}
	return c
}

func mustNotifier(tb testing.TB, c notify.Config) *notify.Notifier {
	tb.Helper()
	n, err := notify.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

// mailServer is a real SMTP server (go-smtp) on 127.0.0.1 that keeps what
// it receives.
type mailServer struct {
	Addr string
	srv  *smtp.Server

	mu       sync.Mutex
	msgs     []received
	sessions int
	refuse   map[string]*smtp.SMTPError
	// dataRefuse refuses DATA for a recipient; mailRefuse every MAIL.
	dataRefuse map[string]*smtp.SMTPError
	mailRefuse *smtp.SMTPError
	user       string
	pass       string
	authed     int
	tlsSeen    int
}

type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool
}

type mailOptions struct {
	TLS        *tls.Config
	User, Pass string
}

func startMailServer(tb testing.TB, o mailOptions) *mailServer {
	tb.Helper()
	ms := &mailServer{refuse: map[string]*smtp.SMTPError{}, dataRefuse: map[string]*smtp.SMTPError{}, user: o.User, pass: o.Pass}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ms.mu.Lock()
		ms.sessions++
		ms.mu.Unlock()
		base := &mailSession{ms: ms, c: c}
		if ms.user != "" {
			return &authSession{base}, nil
		}
		return base, nil
	}))
	s.Domain = "localhost"
	s.TLSConfig = o.TLS
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = discardLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ms.Addr, ms.srv = ln.Addr().String(), s
	go s.Serve(ln)
	tb.Cleanup(func() { s.Close() })
	return ms
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}

func (ms *mailServer) Refuse(rcpt string, e *smtp.SMTPError) {
	ms.mu.Lock()
	ms.refuse[rcpt] = e
	ms.mu.Unlock()
}

func (ms *mailServer) Messages() []received {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]received(nil), ms.msgs...)
}

func (ms *mailServer) Sessions() int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.sessions
}

type mailSession struct {
	ms     *mailServer
	c      *smtp.Conn
	from   string
	to     []string
	authed bool
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.ms.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.ms.mu.Lock()
	e := s.ms.mailRefuse
	s.ms.mu.Unlock()
	if e != nil {
		return e
	}
	s.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ms.mu.Lock()
	e := s.ms.refuse[to]
	s.ms.mu.Unlock()
	if e != nil {
		return e
	}
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.c.TLSConnectionState()
	s.ms.mu.Lock()
	for _, to := range s.to {
		if e := s.ms.dataRefuse[to]; e != nil {
			s.ms.mu.Unlock()
			return e
		}
	}
	s.ms.msgs = append(s.ms.msgs, received{From: s.from, To: s.to, Data: b, TLS: isTLS})
	s.ms.mu.Unlock()
	return nil
}

type authSession struct{ *mailSession }

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.ms.user || pass != s.ms.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		s.ms.mu.Lock()
		s.ms.authed++
		s.ms.mu.Unlock()
		return nil
	}), nil
}

// testTLS is a server certificate for 127.0.0.1 and a client config that
// trusts it.
func testTLS(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

// parsedMail is a received message taken apart.
type parsedMail struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

func parseMail(tb testing.TB, data []byte) parsedMail {
	tb.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	var p parsedMail
	p.Header = m.Header
	if p.Subject, err = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil {
		tb.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		tb.Fatalf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain; charset=utf-8"):
			p.Text = string(b)
		case strings.HasPrefix(ct, "text/html; charset=utf-8"):
			p.HTML = string(b)
		default:
			tb.Fatalf("unexpected part %q", ct)
		}
	}
	if p.Text == "" || p.HTML == "" {
		tb.Fatalf("want a text and an HTML part; text %d bytes, HTML %d bytes", len(p.Text), len(p.HTML))
	}
	return p
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The fixtures: one message of every kind, Finnish letters and markup in
// the title.
const (
	fxTitle  = "Äidinkieli ja öljy <script>alert(1)</script>"
	fxBranch = "Töölö"
	fxDate   = "2026-12-24"
	// An event's start, in the library's zone, and a ticket.
	fxEventStart = "2026-12-24T17:30:00+02:00"
	fxTicket     = "EVT-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

func fixture(kind, lang string) notices.Message {
	m := notices.Message{Key: "k/" + kind + "/" + lang, Kind: kind, Channel: notices.ChannelEmail, To: "patron@example.org",
		Language: lang, Patron: notices.Patron{ID: "P1", Name: "Aino Ääninen", CardNumber: "21000000000001"},
		BranchID: "TOO", BranchName: fxBranch, Date: fxDate}
	line := notices.Line{BiblioID: "B1", Title: fxTitle, Author: "Kivi, Aleksis", Barcode: "39001", Branch: fxBranch}
	switch kind {
	case notices.KindHoldReady, notices.KindHoldExpired:
		line.PickupBy = fxDate
	case notices.KindPreDue, notices.KindDueToday, notices.KindOverdue1, notices.KindOverdue2, notices.KindOverdue3:
		line.DueDate = fxDate
	case notices.KindFines:
		line.Amount = 1250
		m.Amount = 1250
	}
	switch kind {
	case notices.KindCardExpiring, notices.KindWelcome:
	case notices.KindEventConfirmed, notices.KindEventPromoted, notices.KindEventRegistrationCancelled, notices.KindEventCancelled, notices.KindEventReminder:
		m.Event = &notices.Event{EventID: "E1", RegistrationID: "R1", Title: fxTitle, Room: "Satusali", Start: fxEventStart, Seats: 3}
		if kind == notices.KindEventConfirmed || kind == notices.KindEventPromoted || kind == notices.KindEventReminder {
			m.Event.Ticket = fxTicket
		}
		m.Lines = []notices.Line{{Title: fxTitle, Branch: fxBranch}}
	case notices.KindDigest:
		m.Parts = []notices.Message{fixture(notices.KindHoldReady, lang), fixture(notices.KindOverdue1, lang)}
	default:
		m.Lines = []notices.Line{line, {BiblioID: "B2", Title: "Seitsemän veljestä", DueDate: line.DueDate, PickupBy: line.PickupBy}}
	}
	return m
}

// memPrefs keeps messaging preferences in memory, for the tests of
// headers; the unsubscribe tests use branch/patronprefs.
type memPrefs struct {
	mu sync.Mutex
	m  map[string]domain.MessagingPrefs
}

func (p *memPrefs) Messaging(_ context.Context, id string) (domain.MessagingPrefs, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.m[id]; ok {
		return v, nil
	}
	return domain.DefaultMessagingPrefs(), nil
}

func (p *memPrefs) SetMessaging(_ context.Context, id string, v domain.MessagingPrefs) (domain.MessagingPrefs, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]domain.MessagingPrefs{}
	}
	p.m[id] = v
	return v, nil
}
