package node_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"stacks/branch/notices"
	"stacks/node/nodetest"
)

// TestBranchdSendsEmailNotices: a node configured with a relay sends
// through it, and serves the links of what it sent on its HTTP listener.
func TestBranchdSendsEmailNotices(t *testing.T) {
	rl, addr := startRelay(t, -1)
	cfg := branchConfig(t, &logBuffer{})
	cfg.Notify.SMTPAddr, cfg.Notify.MailFrom = addr, "library@example.org"
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
