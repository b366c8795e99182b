package node_test

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/nodetest"
)

// refusingRelay is a go-smtp server that refuses the recipients in gone
// for good (550 5.1.1 at RCPT) and keeps every message it takes.
type refusingRelay struct {
	mu   sync.Mutex
	gone map[string]bool
	msgs []string
}

type refusingSession struct{ r *refusingRelay }

func (s refusingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s refusingSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.r.gone[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	return nil
}
func (s refusingSession) Reset()        {}
func (s refusingSession) Logout() error { return nil }
func (s refusingSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, string(b))
	s.r.mu.Unlock()
	return nil
}

func (r *refusingRelay) received() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// TestNoticeBouncesAndPrintPage runs a branchd with a real SMTP relay that
// refuses one patron's address at RCPT: that welcome fails at once (why),
// alone, the address is flagged and the notice goes on the print list; a
// bounce reported later through POST /api/v1/notices/bounces (the relay's
// webhook, by Message-ID) fails another patron's delivered welcome the
// same way. The staff print page lists both, writes their letters, and
// marks them posted (in a real browser when chromium is installed).
func TestNoticeBouncesAndPrintPage(t *testing.T) {
	rl := &refusingRelay{gone: map[string]bool{"gone@example.org": true}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return refusingSession{rl}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Demo, cfg.Branch = filepath.Join(dir, "n"), "127.0.0.1:0", 4, false, "MAIN"
	cfg.NoticeInterval = 50 * time.Millisecond
	cfg.Notify.SMTPAddr, cfg.Notify.MailFrom = ln.Addr().String(), "library@example.org"
	n := nodetest.Start(t, cfg)
	base := "http://" + n.Addr()
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	svc := n.Service()
	must17(t, svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main"}))
	_, err = svc.SetStaff(ctx, domain.NewStaff{Username: "admin", DisplayName: "Admin", Role: domain.RoleAdmin, BranchID: "MAIN", Password: "admin"})
	must17(t, err)
	must17(t, svc.SetCategory(ctx, domain.Category{Category: "ADULT", EnrolmentMonths: 12, MaxHolds: 5, MaxFineCents: 1000}))
	gone, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "29000001", Firstname: "Gail", Surname: "Gone", Email: "gone@example.org",
		Category: "ADULT", PIN: "1234", Address: "1 Old Road"})
	must17(t, err)
	later, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "29000002", Firstname: "Lee", Surname: "Later", Email: "later@example.org",
		Category: "ADULT", PIN: "1234", Language: "fi"})
	must17(t, err)
	dee, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "29000003", Firstname: "Dee", Surname: "Dsn", Email: "dee@example.org",
		Category: "ADULT", PIN: "1234"})
	must17(t, err)

	notice := func(pid, channel string) *domain.Notice {
		var pn apitype.PatronNotices
		if apiDo(t, "GET", base+"/api/v1/patrons/"+pid+"/notices", nil, &pn) != 200 {
			return nil
		}
		for _, x := range pn.Notices {
			if x.Channel == channel {
				return &x
			}
		}
		return nil
	}
	// The refused address: failed at once, flagged, and the welcome on the
	// print list instead; the other patron's mail went through.
	eventually(t, 30*time.Second, "the refused welcome failed and went to print", func() bool {
		e, p := notice(gone.PatronID, "email"), notice(gone.PatronID, "print")
		return e != nil && e.Status == notices.StatusFailed && p != nil && p.Status == notices.StatusSent
	})
	if e := notice(gone.PatronID, "email"); !strings.Contains(e.Reason, "550") {
		t.Errorf("reason %q", e.Reason)
	}
	var pn apitype.PatronNotices
	apiDo(t, "GET", base+"/api/v1/patrons/"+gone.PatronID+"/notices", nil, &pn)
	if len(pn.ContactFlags) != 1 || pn.ContactFlags[0].Address != "gone@example.org" {
		t.Fatalf("flags %+v", pn.ContactFlags)
	}
	eventually(t, 30*time.Second, "the other welcomes received", func() bool { return len(rl.received()) == 2 })
	idOf := func(to string) string {
		for _, msg := range rl.received() {
			if strings.Contains(msg, "To: ") && strings.Contains(msg, to) {
				m := regexp.MustCompile(`(?mi)^Message-Id: (<[^>]+>)`).FindStringSubmatch(msg)
				if m == nil {
					t.Fatalf("no Message-ID in %s", msg)
				}
				return m[1]
			}
		}
		t.Fatalf("nothing received for %s", to)
		return ""
	}
	id := idOf("later@example.org")

	// A delayed bounce through the webhook: authenticated, by Message-ID.
	body := map[string]any{"message_id": id, "status": "5.2.1", "diagnostic": "mailbox disabled"}
	req, _ := http.NewRequest("POST", base+"/api/v1/notices/bounces", strings.NewReader(`{"message_id":"`+id+`","status":"5.2.1"}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a bounce without credentials: %v %v", resp, err)
	}
	var res notices.BounceResult
	if code := apiDo(t, "POST", base+"/api/v1/notices/bounces", body, &res); code != 200 || res.Action != "failed" {
		t.Fatalf("bounce: %d %+v", code, res)
	}
	if code := apiDo(t, "POST", base+"/api/v1/notices/bounces", map[string]any{"message_id": id, "status": "bounced"}, nil); code != 400 {
		t.Fatalf("a bad status: %d", code)
	}
	if e := notice(later.PatronID, "email"); e == nil || e.Status != notices.StatusFailed || e.Reason != "bounced 5.2.1: mailbox disabled" || e.BouncedAt == "" {
		t.Fatalf("bounced notice %+v", e)
	}
	if p := notice(later.PatronID, "print"); p == nil || p.Status != notices.StatusSent {
		t.Fatalf("no print fallback after the bounce: %+v", p)
	}

	// A bounce from the bounce mailbox: the relay's RFC 3464 report, as it
	// came.
	dsn := strings.ReplaceAll("From: MAILER-DAEMON@relay.example.org\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nUndeliverable.\n"+
		"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n\nFinal-Recipient: rfc822; dee@example.org\n"+
		"Action: failed\nStatus: 5.1.2\nDiagnostic-Code: smtp; 550 no such domain\n\n--B\nContent-Type: text/rfc822-headers\n\n"+
		"Message-ID: "+idOf("dee@example.org")+"\nSubject: Welcome\n\n--B--\n", "\n", "\r\n")
	req, _ = http.NewRequest("POST", base+"/api/v1/notices/bounces/dsn", strings.NewReader(dsn))
	req.SetBasicAuth("admin", "admin")
	req.Header.Set("Content-Type", "message/rfc822")
	resp, err := http.DefaultClient.Do(req)
	must17(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("DSN: %d", resp.StatusCode)
	}
	if e := notice(dee.PatronID, "email"); e == nil || e.Status != notices.StatusFailed || e.Reason != "bounced 5.1.2: 550 no such domain" {
		t.Fatalf("DSN bounced notice %+v", e)
	}

	// Statistics of today.
	var st notices.NoticeStats
	if code := apiDo(t, "GET", base+"/api/v1/notices/stats", nil, &st); code != 200 || st.Total.Notices != 6 || st.Total.Failed != 3 ||
		st.Total.Bounced != 2 {
		t.Fatalf("stats %d %+v", code, st)
	}
	mt := getText(t, base+"/metrics", "")
	if !strings.Contains(mt, `stacks_notices_total{channel="email",event="failed",kind="welcome"} 3`) ||
		!strings.Contains(mt, `stacks_notices_total{channel="print",event="sent",kind="welcome"} 3`) {
		t.Errorf("metrics lack the notices:\n%s", grepLines(mt, "stacks_notices"))
	}

	// The staff print page: only with a staff login.
	if code := len(getText(t, base+"/notices/print", "-")); code != 0 {
		t.Fatalf("the print page without a login answered")
	}
	page := getText(t, base+"/notices/print?library_id=MAIN", "admin")
	for _, want := range []string{"Gail Gone", "Lee Later", "1 Old Road", `name="key"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("print page lacks %q:\n%s", want, page)
		}
	}
	letters := getText(t, base+"/notices/print/letters?library_id=MAIN&paper=letter", "admin")
	if !strings.Contains(letters, "size: letter") || !strings.Contains(letters, `lang="fi"`) || strings.Count(letters, `class="letter"`) != 3 {
		t.Fatalf("letters:\n%s", letters)
	}
	// A form posted from another site is refused.
	req, _ = http.NewRequest("POST", base+"/notices/print/posted", strings.NewReader("key="+url.QueryEscape(notice(gone.PatronID, "print").Key)))
	req.SetBasicAuth("admin", "admin")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site form: %v %v", resp, err)
	}

	if bin, err := exec.LookPath("chromium"); err == nil {
		markPostedInBrowser(t, bin, base)
	} else {
		if os.Getenv("STACKS_CI") != "" {
			t.Fatal("chromium is not installed, and CI says it is")
		}
		t.Log("chromium not installed: marking posted through the form without a browser")
		form := url.Values{"key": {notice(gone.PatronID, "print").Key, notice(later.PatronID, "print").Key, notice(dee.PatronID, "print").Key}}
		req, _ = http.NewRequest("POST", base+"/notices/print/posted", strings.NewReader(form.Encode()))
		req.SetBasicAuth("admin", "admin")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("form: %v %v", resp, err)
		}
	}
	if page := getText(t, base+"/notices/print?library_id=MAIN", "admin"); !strings.Contains(page, "Nothing to post.") {
		t.Fatalf("posted notices still listed:\n%s", page)
	}
	if page := getText(t, base+"/notices/print?library_id=MAIN&all=1", "admin"); !strings.Contains(page, "Gail Gone") || strings.Contains(page, `name="key"`) {
		t.Fatalf("all=1 should list the posted ones without a box:\n%s", page)
	}
}

// markPostedInBrowser opens the print page in headless chromium with a
// staff login, checks the letters link, and presses the button.
func markPostedInBrowser(t *testing.T, bin, base string) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	bctx, cancelT := context.WithTimeout(bctx, 60*time.Second)
	defer cancelT()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:admin"))
	must17(t, chromedp.Do(bctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
			return err
		}),
		chromedp.Navigate(base+"/notices/print?library_id=MAIN"),
		chromedp.WaitVisible(chromedp.CSS(`button[name="mark"]`))))
	boxes, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('input[name="key"]:checked').length`))
	must17(t, err)
	href, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('#letters').getAttribute('href')`))
	must17(t, err)
	must17(t, chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`button[name="mark"]`)), chromedp.WaitVisible(chromedp.CSS(`#none`))))
	none, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#none`)))
	must17(t, err)
	if boxes != 3 || !strings.HasPrefix(href, "/notices/print/letters?library_id=MAIN") || none != "Nothing to post." {
		t.Fatalf("browser saw %d boxes, letters %q, after: %q", boxes, href, none)
	}
}

// getText GETs url as user ("" for admin, "-" for nobody): the body of a
// 200, else "".
func getText(t *testing.T, u, user string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	switch user {
	case "-":
	case "":
		req.SetBasicAuth("admin", "admin")
	default:
		req.SetBasicAuth(user, user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return ""
	}
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func must17(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
