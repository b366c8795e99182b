package notify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/branch/patronprefs"
	"stacks/node/notify"
	"stacks/replicate"
)

// linksOf sends m by email to a real SMTP server and returns the message
// taken apart.
func sendAndParse(t *testing.T, c notify.Config, m notices.Message) (*notify.Notifier, parsedMail) {
	t.Helper()
	ms := startMailServer(t, mailOptions{})
	c.SMTPAddr = ms.Addr
	n := mustNotifier(t, c)
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return n, parseMail(t, ms.Messages()[0].Data)
}

// between is the text of s from the first start up to the next end.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestTrackingOpenAndClick fetches the pixel and follows a link of a
// received email: the tracker hears of both with the notice's key, and
// the link leads where the email said.
func TestTrackingOpenAndClick(t *testing.T) {
	tr := &recTracker{}
	c := baseConfig()
	srv := httptest.NewServer(nil)
	defer srv.Close()
	c.PublicURL, c.Tracker = srv.URL, tr
	n, p := sendAndParse(t, c, fixture(notices.KindPreDue, "en"))
	srv.Config.Handler = n.Handler()

	pix := between(p.HTML, srv.URL+"/n/o/", `"`)
	resp, err := http.Get(pix)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/gif" || !strings.HasPrefix(string(body), "GIF89a") ||
		!strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("pixel: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	if len(tr.opened) != 1 || tr.opened[0] != "k/pre_due/en" {
		t.Fatalf("opened %v", tr.opened)
	}

	link := between(p.HTML, srv.URL+"/n/c/", `"`)
	resp, err = noRedirect().Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != srv.URL+"/titles/B1" {
		t.Fatalf("click: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if len(tr.clicked) != 1 || tr.clicked[0] != [2]string{"k/pre_due/en", srv.URL + "/titles/B1"} {
		t.Fatalf("clicked %v", tr.clicked)
	}

	// A token changed by one character, or one of another purpose, leads
	// nowhere and records nothing.
	tok := strings.TrimPrefix(link, srv.URL+"/n/c/")
	forged := tok[:len(tok)-2] + map[bool]string{true: "A", false: "B"}[tok[len(tok)-2] != 'A'] + tok[len(tok)-1:]
	pixTok := strings.TrimPrefix(pix, srv.URL+"/n/o/")
	for _, bad := range []string{forged, pixTok, "n1.e30.AAAA", url.PathEscape("https://evil.example/")} {
		resp, err := noRedirect().Get(srv.URL + "/n/c/" + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d to %q", bad, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if len(tr.clicked) != 1 {
		t.Errorf("bad tokens were recorded: %v", tr.clicked)
	}
}

// TestUnsubscribe follows the one-click link of a received email: the GET
// shows a page in the patron's language; the RFC 8058 POST turns the
// notice off in the patron's preferences, as an op on channel email.
func TestUnsubscribe(t *testing.T) {
	env := branchtest.Open(t, branchtest.Options{})
	ctx := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(t, ctx, env.Service)
	pat, err := env.Service.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "21000000000009", Firstname: "Aino", Surname: "Ääninen",
		Category: "ADULT", PIN: "1234", Email: "aino@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	prefs := patronprefs.New(env.Service)
	c := baseConfig()
	srv := httptest.NewServer(nil)
	defer srv.Close()
	c.PublicURL, c.Prefs = srv.URL, prefs
	m := fixture(notices.KindOverdue2, "fi")
	m.Patron.ID = pat.PatronID
	n, p := sendAndParse(t, c, m)
	srv.Config.Handler = n.Handler()

	u := strings.TrimSuffix(strings.TrimPrefix(strings.Split(p.Header.Get("List-Unsubscribe"), ", ")[0], "<"), ">")
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Lopetetaanko nämä ilmoitukset?") ||
		!strings.Contains(string(page), "myöhästymismuistutuksia") || !strings.Contains(string(page), `method="post"`) {
		t.Fatalf("GET: %d\n%s", resp.StatusCode, page)
	}
	if got, _ := prefs.Messaging(ctx, pat.PatronID); !slices.Contains(got.Notices, domain.NoticeOverdue) {
		t.Fatal("a GET changed the preferences")
	}

	resp, err = http.Post(u, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "Valmis") {
		t.Fatalf("POST: %d\n%s", resp.StatusCode, page)
	}
	got, err := prefs.Messaging(ctx, pat.PatronID)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got.Notices, domain.NoticeOverdue) || !slices.Contains(got.Notices, domain.NoticeHoldReady) {
		t.Fatalf("notices now %v: want overdue off, the rest kept", got.Notices)
	}
	ops, err := env.Log.Ops(ctx, replicate.VersionVector{}, 10000)
	if err != nil {
		t.Fatal(err)
	}
	last := ops[len(ops)-1]
	if last.Kind != patronprefs.KindSet || last.Channel != string(domain.ChannelEmail) || last.Actor != "patron:"+pat.PatronID {
		t.Fatalf("last op %s channel %q actor %q", last.Kind, last.Channel, last.Actor)
	}
	// Again: nothing more to turn off, still a success.
	resp, err = http.Post(u, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("second POST: %d", resp.StatusCode)
	}

	// A token for another patron cannot be made from this one.
	tok := strings.TrimPrefix(u, srv.URL+"/n/u/")
	resp, err = http.Post(srv.URL+"/n/u/"+tok+"x", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("forged token: %d", resp.StatusCode)
	}
}

// TestUnsubscribePageEnglish shows the page in English for an English
// notice, and in English for a bad link.
func TestUnsubscribePageEnglish(t *testing.T) {
	c := baseConfig()
	srv := httptest.NewServer(nil)
	defer srv.Close()
	c.PublicURL = srv.URL
	n, p := sendAndParse(t, c, fixture(notices.KindHoldReady, "en"))
	srv.Config.Handler = n.Handler()
	u := between(p.Text, srv.URL+"/n/u/", "\n")
	resp, err := http.Get(strings.TrimSpace(u))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Stop these notices?") || !strings.Contains(string(page), "holds ready for pickup") ||
		!strings.Contains(string(page), srv.URL+"/account/preferences") {
		t.Fatalf("page:\n%s", page)
	}
	resp, err = http.Get(srv.URL + "/n/u/nonsense")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(page), "This link is not valid") {
		t.Fatalf("bad link: %d\n%s", resp.StatusCode, page)
	}
}
