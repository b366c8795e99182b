package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/help"
	"stacks/node/web"
)

func withHelp(h **help.Service) func(*web.Config) {
	return func(c *web.Config) {
		*h = help.New(c.Library.(*branch.Service), nil)
		c.Help = *h
	}
}

var staffAnna = domain.WithActor(context.Background(), domain.Actor{ID: "anna", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})

var helpLink = regexp.MustCompile(`href="/help/([0-9a-f-]{36})"`)

// TestHelpPages: "Ask for help" is on every page; a visitor must log in;
// a patron's question goes to their home branch's queue; the staff
// answer appears on the request's page on reload; the patron replies and
// closes it; bad input is refused in the patron's language; another
// patron cannot see it.
func TestHelpPages(t *testing.T) {
	var h *help.Service
	l := newLib(t, withHelp(&h))
	anon := l.browser()
	for _, path := range []string{"/", "/search?q=winter", "/login"} {
		wantIn(t, anon.get(path), `<a href="/help">Ask for help</a>`)
	}
	if p := anon.get("/help"); !strings.HasPrefix(p.url, "/login") {
		t.Fatalf("a visitor reached %s", p.url)
	}
	if csp := anon.get("/").hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP %q lets help.js not poll", csp)
	}

	bob := l.browser() // home branch EAST
	bob.login(bobCard, bobPIN)
	wantIn(t, bob.get("/help"), "You have not asked anything yet.")
	p := bob.post("/help", url.Values{"message": {"   "}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "Write your question first.")
	p = bob.post("/help", url.Values{"message": {strings.Repeat("x", 2001)}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "at most 2000 characters")
	p = bob.post("/help", url.Values{"message": {"Can I return a <b>book</b> at EAST?"}})
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "Your question is sent.", "Can I return a &lt;b&gt;book&lt;/b&gt; at EAST?", "waiting for an answer", "Refresh to see new answers")
	m := helpLink.FindStringSubmatch(p.body)
	if m == nil || !strings.HasSuffix(p.url, m[1]) {
		t.Fatalf("no link to the request on %s", p.url)
	}
	id := m[1]
	hr, _, err := h.Request(context.Background(), id)
	must(t, err)
	if hr.BranchID != "EAST" || hr.Channel != "web" || hr.PatronID != l.bob.PatronID {
		t.Fatalf("request %+v", hr)
	}
	if ops := l.ops(help.KindOpen); len(ops) != 1 || ops[0].Channel != "web" || ops[0].Actor != "patron:"+l.bob.PatronID {
		t.Fatalf("ops %+v", ops)
	}
	// Ann may not read Bob's request.
	ann := l.browser()
	ann.login(annCard, annPIN)
	wantStatus(t, ann.get("/help/"+id), http.StatusNotFound)

	// Staff at EAST answer; Bob reloads the page and sees it.
	must(t, h.TakeOver(staffAnna, id))
	must(t, h.Answer(staffAnna, id, "Yes, any branch takes returns."))
	p = bob.get("/help/" + id)
	wantIn(t, p, "Library staff", "Yes, any branch takes returns.", "Answered")
	wantNotIn(t, p, "waiting for an answer")
	p = bob.post("/help/"+id+"/reply", url.Values{"message": {"Thank you!"}})
	wantIn(t, p, "Your reply is sent.", "Thank you!", "waiting for an answer")
	p = bob.post("/help/"+id+"/close", nil)
	wantIn(t, p, "Closed")
	wantNotIn(t, p, `action="/help/`+id+`/reply"`)
	p = bob.post("/help/"+id+"/reply", url.Values{"message": {"more"}, "csrf": {bob.csrf()}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "This question is closed")

	// In Finnish.
	fi := l.browser()
	fi.lang = "fi"
	fi.login(bobCard, bobPIN)
	p = fi.get("/help")
	wantIn(t, p, "Kysy apua", "Kysymyksesi", "Suljettu")
	p = fi.post("/help", url.Values{"message": {""}})
	wantIn(t, p, "Kirjoita ensin kysymyksesi.")
}

// TestHelpLeftOut: without Config.Help there is no link and no page.
func TestHelpLeftOut(t *testing.T) {
	l := newLib(t)
	p := l.browser().get("/")
	wantNotIn(t, p, `href="/help"`)
}
