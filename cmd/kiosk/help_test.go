package main

import (
	"bytes"
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/help"
	"stacks/hardware/sip2"
	"stacks/node/httpapi"
)

// helpEnv is an in-process appliance: SIP2 and the HTTP API over one
// branch service (branch MAIN), with a kiosk account and Eve, whose home
// branch is EAST.
type helpEnv struct {
	sip, api string
	help     *help.Service
	eve      *domain.Patron
	svc      *branch.Service
}

func newHelpEnv(t *testing.T) helpEnv {
	t.Helper()
	svc := branchtest.Open(t, branchtest.Options{}).Service
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(t, ctx, svc)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := svc.SetStaff(ctx, domain.NewStaff{Username: "k1", Role: domain.RoleKiosk, BranchID: "MAIN", Password: "k1-pass"})
	must(err)
	eve, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "2100009", Firstname: "Eve", Surname: "East", Category: "ADULT", PIN: "1234", HomeBranch: "EAST"})
	must(err)
	srv, err := sip2.NewServer(sip2.DefaultConfig(svc, sip2.PINVerifierFunc(func(ctx context.Context, card, pin string) error {
		_, err := svc.CheckPIN(ctx, card, pin)
		return err
	})))
	must(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
	})
	api, err := httpapi.New(httpapi.Config{Service: svc})
	must(err)
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	return helpEnv{sip: ln.Addr().String(), api: hs.URL, help: help.New(svc, nil), eve: eve, svc: svc}
}

// TestKioskHelpScript: Eve identifies at the kiosk and asks for help; the
// request goes to the kiosk's branch (MAIN), not her home branch, with her
// and the kiosk's location; staff answer and the kiosk shows it; her
// reply reaches the request. Without an API the kiosk sends her to the
// desk. In Finnish, the screens are Finnish.
func TestKioskHelpScript(t *testing.T) {
	e := newHelpEnv(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k, err := connect(ctx, options{acs: e.sip, api: e.api, user: "k1", password: "k1-pass", location: "LOBBY", lang: "en", helpWait: 10 * time.Second}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer k.cl.Close()
	k.help.desk.poll = 10 * time.Millisecond
	if err := script(k, strings.NewReader("identify 2100009 1234\nhelp \nhelp The screen froze\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "help refused: Please write what you need help with.") ||
		!strings.Contains(out.String(), "help ok: Your request is sent") {
		t.Fatalf("kiosk said:\n%s", out.String())
	}
	rs, err := e.help.List(context.Background(), help.Filter{})
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests %+v %v", rs, err)
	}
	r := rs[0]
	if r.BranchID != "MAIN" || r.Channel != "kiosk" || r.Location != "LOBBY" || r.PatronID != e.eve.PatronID {
		t.Fatalf("request %+v", r)
	}
	staff := domain.WithActor(context.Background(), domain.Actor{ID: "anna", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	if err := e.help.Answer(staff, r.RequestID, "Restarting it for you"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := script(k, strings.NewReader("help-wait\nhelp-reply It works now\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "help-wait ok: Staff answer: Restarting it for you") || !strings.Contains(out.String(), "help-reply ok: Your reply is sent.") {
		t.Fatalf("kiosk said:\n%s", out.String())
	}
	got, _, err := e.help.Request(context.Background(), r.RequestID)
	if err != nil || len(got.Messages) != 2 || got.Messages[1].Text != "It works now" || got.Awaiting != "staff" {
		t.Fatalf("after the reply: %+v %v", got, err)
	}

	// No answer within the wait: the kiosk says so and the request stays.
	k.help.desk.wait = 50 * time.Millisecond
	out.Reset()
	if err := script(k, strings.NewReader("help-wait\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "help-wait refused: No answer yet") {
		t.Fatalf("kiosk said:\n%s", out.String())
	}

	// Finnish, and a kiosk that cannot reach the API.
	out.Reset()
	k2, err := connect(ctx, options{acs: e.sip, user: "k1", password: "k1-pass", location: "LOBBY", lang: "fi"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer k2.cl.Close()
	if err := script(k2, strings.NewReader("help Apua\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "help refused: Tämä kioski ei tavoita apupyyntöjä. Kysy palvelutiskiltä.") {
		t.Fatalf("kiosk said:\n%s", out.String())
	}
}

// TestKioskHelpScreens: the interactive screens: h on the first screen
// asks anonymously; the answer appears; Enter finishes.
func TestKioskHelpScreens(t *testing.T) {
	e := newHelpEnv(t)
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k, err := connect(ctx, options{acs: e.sip, api: e.api, user: "k1", password: "k1-pass", location: "LOBBY", lang: "en", helpWait: 10 * time.Second}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer k.cl.Close()
	k.help.desk.poll = 10 * time.Millisecond
	staff := domain.WithActor(context.Background(), domain.Actor{ID: "anna", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	// Staff answer as soon as the request is there.
	go func() {
		for ctx.Err() == nil {
			rs, _ := e.help.List(context.Background(), help.Filter{Status: "open"})
			if len(rs) > 0 {
				e.help.Answer(staff, rs[0].RequestID, "Coming")
				return
			}
			time.Sleep(5 * time.Millisecond) // polling another goroutine's work, bounded by ctx
		}
	}()
	if err := interactive(k, strings.NewReader("h\nWhere is the toilet?\n\nq\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[h] ask staff for help", "Your request is sent", "Staff answer: Coming", "Reply (or Enter to finish)"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("the screens lack %q:\n%s", want, out.String())
		}
	}
	rs, err := e.help.List(context.Background(), help.Filter{})
	if err != nil || len(rs) != 1 || rs[0].PatronID != "" || rs[0].Location != "LOBBY" {
		t.Fatalf("requests %+v %v", rs, err)
	}
}
