package node_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"stacks/branch/notices"
	"stacks/node/nodetest"
)

// relay is a go-smtp server that keeps the messages it takes.
type relay struct {
	mu   sync.Mutex
	msgs []string
}

type relaySession struct{ r *relay }

func (s relaySession) Reset()                               {}
func (s relaySession) Logout() error                        { return nil }
func (s relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, string(b))
	s.r.mu.Unlock()
	return err
}

// TestBranchdSendsEmailNotices: a node configured with a relay sends
// through it, and serves the links of what it sent on its HTTP listener.
func TestBranchdSendsEmailNotices(t *testing.T) {
	rl := &relay{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return relaySession{rl}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	cfg := branchConfig(t, &logBuffer{})
	cfg.Notify.SMTPAddr, cfg.Notify.MailFrom = ln.Addr().String(), "library@example.org"
	n := nodetest.Start(t, cfg)
	nt := n.Notifier()
	if nt == nil || !nt.Has(notices.ChannelEmail) || nt.Has(notices.ChannelSMS) || !nt.Has(notices.ChannelPrint) {
		t.Fatal("the node has no email channel")
	}
	m := notices.Message{Key: "hold_ready/H1/trap1/email", Kind: notices.KindHoldReady, Channel: notices.ChannelEmail,
		To: "ada@example.org", Language: "en", Patron: notices.Patron{ID: "P1", Name: "Ada"}, BranchName: "Main",
		Date: "2026-12-01", Lines: []notices.Line{{Title: "Emma", PickupBy: "2026-12-01"}}}
	if err := nt.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	rl.mu.Lock()
	msg := rl.msgs[0]
	rl.mu.Unlock()
	base := "http://" + n.Addr()
	i := strings.Index(msg, base+"/n/o/")
	if i < 0 {
		t.Fatalf("no pixel on the node's address %s in:\n%s", base, msg)
	}
	// The HTML part is quoted-printable: the URL runs to the closing quote,
	// with soft line breaks and =3D for "=" (none in a token).
	pix := msg[i:]
	pix = strings.ReplaceAll(pix, "=\r\n", "")
	pix = pix[:strings.Index(pix, `"`)]
	resp, err := http.Get(strings.TrimSuffix(pix, "=3D"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/gif" {
		t.Fatalf("pixel through the node: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
