package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"stacks/branch/branchtest"
	"stacks/branch/websession"
	"stacks/node/web"
)

// node2 is a second node of the fixture's cluster: its own database, fed
// the first one's ops by exchange, serving the web with the same key.
type node2 struct {
	env *branchtest.Env
	url string
}

func (l *lib) secondNode() *node2 {
	l.t.Helper()
	env := branchtest.Open(l.t, branchtest.Options{Node: 2})
	branchtest.Exchange(l.t, l.svc, env.Service)
	w, err := web.New(web.Config{Library: env.Service, Sessions: websession.New(env.Service), ClusterKey: l.key})
	must(l.t, err)
	srv := httptestServer(l.t.(*testing.T), w)
	return &node2{env: env, url: srv.URL}
}

// withCookies is a browser at base holding the given browser's cookies
// (copied, as a thief would).
func (l *lib) withCookies(from *browser, base string) *browser {
	l.t.Helper()
	src, _ := url.Parse(from.base)
	b := l.browserAt(base)
	u, _ := url.Parse(base)
	b.c.Jar.SetCookies(u, from.c.Jar.Cookies(src))
	return b
}

// A cookie copied before logout is refused after it, on the node that
// logged out at once and on another node once the logout's op reaches it;
// the patron can log in again at once.
func TestLogoutEndsTheSessionOnEveryNode(t *testing.T) {
	l := newLib(t)
	n2 := l.secondNode()
	b := l.browser()
	b.login(annCard, annPIN)
	here := l.withCookies(b, l.srv.URL)
	there := l.withCookies(b, n2.url)
	if p := here.get("/account"); p.url != "/account" {
		t.Fatalf("copied cookie before logout: at %s", p.url)
	}
	if p := there.get("/account"); p.url != "/account" {
		t.Fatalf("copied cookie on node 2 before logout: at %s", p.url)
	}

	b.get("/account")
	p := b.post("/logout", nil)
	wantStatus(t, p, http.StatusOK)
	if ops := l.ops(websession.KindEnd); len(ops) != 1 || ops[0].Channel != "web" || ops[0].Actor != "patron:"+l.ann.PatronID {
		t.Fatalf("logout ops: %+v", ops)
	}
	if p := here.get("/account"); p.url != "/login" {
		t.Fatalf("copied cookie after logout, same node: at %s, want /login", p.url)
	}
	// Node 2 has not heard of the logout yet; once it has, it refuses too.
	branchtest.Exchange(t, l.svc, n2.env.Service)
	if p := there.get("/account"); p.url != "/login" {
		t.Fatalf("copied cookie after logout, node 2: at %s, want /login", p.url)
	}

	// Logging in again works at once, though the clock has not moved.
	b.login(annCard, annPIN)
	if p := b.get("/account"); p.url != "/account" {
		t.Fatalf("logged in again: at %s", p.url)
	}
	// Logging out of a visitor's session emits nothing.
	v := l.browser()
	v.get("/")
	v.post("/logout", nil)
	if n := len(l.ops(websession.KindEnd)); n != 1 {
		t.Fatalf("%d end ops after an anonymous logout, want 1", n)
	}
}

// A PIN change ends the patron's other sessions, on every node, and keeps
// the one that changed it.
func TestPINChangeEndsOtherSessions(t *testing.T) {
	l := newLib(t)
	n2 := l.secondNode()
	phone := l.browser()
	phone.login(annCard, annPIN)
	laptop := l.browser()
	laptop.login(annCard, annPIN)
	elsewhere := l.withCookies(laptop, n2.url)
	if p := elsewhere.get("/account"); p.url != "/account" {
		t.Fatalf("node 2 before: at %s", p.url)
	}
	phone.get("/account/profile")
	p := phone.post("/account/pin", url.Values{"current_pin": {annPIN}, "new_pin": {"9876"}, "new_pin_again": {"9876"}})
	wantStatus(t, p, http.StatusOK)
	if p := phone.get("/account"); p.url != "/account" {
		t.Fatalf("the session that changed the PIN: at %s", p.url)
	}
	if p := laptop.get("/account"); p.url != "/login" {
		t.Fatalf("another session after the PIN change: at %s, want /login", p.url)
	}
	branchtest.Exchange(t, l.svc, n2.env.Service)
	if p := elsewhere.get("/account"); p.url != "/login" {
		t.Fatalf("another session on node 2 after the PIN change: at %s, want /login", p.url)
	}
	// A wrong current PIN ends nothing.
	before := len(l.ops(websession.KindEnd))
	laptop.login(annCard, "9876")
	laptop.get("/account/profile")
	laptop.post("/account/pin", url.Values{"current_pin": {"0000"}, "new_pin": {"1111"}, "new_pin_again": {"1111"}})
	if n := len(l.ops(websession.KindEnd)); n != before {
		t.Fatalf("a refused PIN change emitted %d end ops", n-before)
	}
	if p := phone.get("/account"); p.url != "/account" {
		t.Fatalf("phone after a refused PIN change: at %s", p.url)
	}
}
