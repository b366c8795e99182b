package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node/web"
)

func TestPublicPages(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	for _, path := range []string{"/", "/search", "/search?q=winter", "/titles/" + l.novel.BiblioID, "/login"} {
		t.Run(path, func(t *testing.T) {
			p := b.get(path)
			wantStatus(t, p, http.StatusOK)
			wantIn(t, p, `<html lang="en">`, "<main", "<header", "<nav", "<footer")
			if csp := p.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Fatalf("CSP %q", csp)
			}
			if strings.Contains(p.body, "<script>") || strings.Contains(p.body, " style=") || strings.Contains(p.body, "http://") && !strings.Contains(p.body, "http://www.w3.org") {
				t.Fatal("inline script, inline style or an outside resource on the page")
			}
		})
	}
}

func TestSearchAndTitle(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	p := b.get("/search?q=long+winter")
	wantIn(t, p, "/titles/"+l.novel.BiblioID, "The Long Winter", "Wilder, Laura", "Large print")
	p = b.get("/search?q=zzzzqqq")
	wantIn(t, p, "Nothing was found")
	wantStatus(t, b.get("/search?q=winter&page=0"), http.StatusBadRequest)
	wantStatus(t, b.get("/search?q="+strings.Repeat("a", 201)), http.StatusBadRequest)

	l.lend(bobCard, "N1")
	p = b.get("/titles/" + l.novel.BiblioID)
	wantStatus(t, p, http.StatusOK)
	// Availability per branch with call numbers, the other edition, and
	// a way to log in to place a hold.
	wantIn(t, p, "2 of 3 copies on the shelf", "Main Library", "Eastside Library", "F WIL", "On loan", "On the shelf",
		"/titles/"+l.novel2.BiblioID, "Log in to place a hold")
	p = b.get("/titles/" + l.ebook.BiblioID)
	wantIn(t, p, "E-loan: 2 of 2 licences free now.")
	wantStatus(t, b.get("/titles/nope"), http.StatusNotFound)
}

// A title, author or call number holding markup is shown as text.
func TestCatalogueMarkupIsInert(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	for _, p := range []page{b.get("/search?q=winter"), b.get("/titles/" + l.xss.BiblioID), b.get("/search?q=" + url.QueryEscape(`<script>alert(1)</script>`))} {
		wantNotIn(t, p, `<script>alert`, `<img src=x`, `<b>bold</b>`)
	}
	p := b.get("/titles/" + l.xss.BiblioID)
	wantIn(t, p, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Winter`, `&lt;img src=x onerror=alert(1)&gt;`, `&lt;b&gt;bold&lt;/b&gt;`)
}

func TestLoginAndLogout(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	// The account asks for a login, and comes back after it.
	p := b.get("/account")
	if p.url != "/login" {
		t.Fatalf("account without login went to %s", p.url)
	}
	p = b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {"9999"}})
	wantStatus(t, p, http.StatusUnauthorized)
	wantIn(t, p, "The card number or PIN is wrong.", `value="`+annCard+`"`)
	p = b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}, "next": {"/account"}})
	wantStatus(t, p, http.StatusOK)
	if p.url != "/account" {
		t.Fatalf("after login at %s", p.url)
	}
	wantIn(t, p, "Hello, Ann", "Card "+annCard)
	// The wrong PIN counted on the shared lockout, channel web.
	var web bool
	for _, op := range l.ops(branch.KindPINAttempt) {
		web = web || op.Channel == string(domain.ChannelWeb)
	}
	if !web {
		t.Fatal("no PIN attempt op with channel web")
	}
	p = b.post("/logout", nil)
	if p.url != "/" {
		t.Fatalf("after logout at %s", p.url)
	}
	if p := b.get("/account"); p.url != "/login" {
		t.Fatal("still logged in after logout")
	}
	// An outside next is not followed.
	b.get("/login")
	p = b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}, "next": {"//evil.example/x"}})
	if p.url != "/account" {
		t.Fatalf("next went to %s", p.url)
	}
}

func TestPINLockoutOnTheWeb(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	b.get("/login")
	var p page
	for range domain.MaxPINFailures {
		p = b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {"0000"}})
	}
	wantStatus(t, p, http.StatusTooManyRequests)
	wantIn(t, p, "this card is locked")
	p = b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}})
	wantStatus(t, p, http.StatusTooManyRequests)
}

func TestLoginRateLimit(t *testing.T) {
	l := newLib(t, func(c *web.Config) { c.LoginRate, c.LoginBurst = 1, 3 })
	b := l.browser()
	b.get("/login")
	for i := range 3 {
		p := b.post("/login", url.Values{"cardnumber": {"nobody" + string(rune('a'+i))}, "pin": {"0000"}})
		wantStatus(t, p, http.StatusUnauthorized)
	}
	p := b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}})
	wantStatus(t, p, http.StatusTooManyRequests)
	wantIn(t, p, "Too many attempts from here")
	if p.hdr.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	l.env.Clock.Advance(time.Minute)
	p = b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}})
	wantStatus(t, p, http.StatusOK)
}

func TestCSRFRefused(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	b.login(annCard, annPIN)
	before := len(l.ops(branch.KindHoldPlace))
	for name, form := range map[string]url.Values{
		"none":  {"pickup": {"MAIN"}},
		"wrong": {"pickup": {"MAIN"}, "csrf": {"AAAA"}},
	} {
		p := b.postRaw("/titles/"+l.novel.BiblioID+"/hold", form)
		if p.status != http.StatusForbidden {
			t.Fatalf("%s: status %d", name, p.status)
		}
		wantIn(t, p, "This form has expired")
	}
	// Another visitor's token is not this session's.
	other := l.browser()
	other.get("/login")
	p := b.postRaw("/titles/"+l.novel.BiblioID+"/hold", url.Values{"pickup": {"MAIN"}, "csrf": {other.csrf()}})
	wantStatus(t, p, http.StatusForbidden)
	// Login itself needs the token.
	fresh := l.browser()
	p = fresh.postRaw("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}})
	wantStatus(t, p, http.StatusForbidden)
	if after := len(l.ops(branch.KindHoldPlace)); after != before {
		t.Fatal("a refused form placed a hold")
	}
}

func TestSessionCookieAndCaching(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	p := b.get("/login")
	var sc string
	for _, c := range p.hdr.Values("Set-Cookie") {
		if strings.HasPrefix(c, "stacks_session=") {
			sc = c
		}
	}
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") {
		t.Fatalf("session cookie over plain HTTP: %s", sc)
	}
	b.login(annCard, annPIN)
	for _, path := range []string{"/account", "/account/profile", "/account/card", "/titles/" + l.novel.BiblioID} {
		if cc := b.get(path).hdr.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("%s: Cache-Control %q", path, cc)
		}
	}
	// A forged or tampered cookie is a new anonymous session.
	jarURL, _ := url.Parse(l.srv.URL)
	cs := b.c.Jar.Cookies(jarURL)
	for _, c := range cs {
		if c.Name == "stacks_session" {
			c.Value = c.Value[:len(c.Value)-2] + "xx"
		}
	}
	b.c.Jar.SetCookies(jarURL, cs)
	if p := b.get("/account"); p.url != "/login" {
		t.Fatal("a tampered session cookie was accepted")
	}
}

// TestSessionOverTLS: the cookie is Secure when served over TLS.
func TestSessionOverTLS(t *testing.T) {
	l := newLib(t)
	ts := httptestTLS(t, l)
	resp, err := ts.Client().Get(ts.URL + "/login")
	must(t, err)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "stacks_session" && !c.Secure {
			t.Fatal("session cookie over TLS is not Secure")
		}
	}
}

// A session from one node is valid on another node sharing the cluster
// key, and not on a node with another key.
func TestSessionValidOnEveryNode(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	b.login(annCard, annPIN)
	jarURL, _ := url.Parse(l.srv.URL)
	cookies := b.c.Jar.Cookies(jarURL)
	for _, tc := range []struct {
		key  []byte
		want string
	}{{l.key, "/account"}, {[]byte("another-cluster-key-0123456789"), "/login"}} {
		other, err := web.New(web.Config{Library: l.svc, ClusterKey: tc.key})
		must(t, err)
		srv := httptestServer(t, other)
		ob := l.browserAt(srv.URL)
		u, _ := url.Parse(srv.URL)
		ob.c.Jar.SetCookies(u, cookies)
		if p := ob.get("/account"); p.url != tc.want {
			t.Fatalf("key %q: at %s, want %s", tc.key, p.url, tc.want)
		}
	}
}

func TestPlaceHoldAndSeeItInTheAccount(t *testing.T) {
	l := newLib(t)
	l.lend(bobCard, "N1")
	b := l.browser()
	b.get("/titles/" + l.novel.BiblioID)
	b.login(annCard, annPIN)
	p := b.get("/titles/" + l.novel.BiblioID)
	wantIn(t, p, "Pick up at", `<option value="MAIN" selected>`, "Not needed after")
	last := l.svc.Now().AddDate(0, 1, 0).Format(domain.DateLayout)
	p = b.post("/titles/"+l.novel.BiblioID+"/hold", url.Values{"pickup": {"EAST"}, "not_needed_after": {last}})
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "Your hold is placed: you are number 1 in the queue.", "You have a hold on this title")
	ops := l.ops(branch.KindHoldPlace)
	if op := ops[len(ops)-1]; op.Channel != "web" || op.Actor != "patron:"+l.ann.PatronID {
		t.Fatalf("hold op channel %q actor %q", op.Channel, op.Actor)
	}
	p = b.get("/account")
	wantIn(t, p, "The Long Winter", "number 1 in the queue", "pick up at Eastside Library", "not needed after")
	// A second hold on it is refused with the reason.
	p = b.post("/titles/"+l.novel.BiblioID+"/hold", url.Values{"pickup": {"MAIN"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "You already have a hold on this title.")
	// A date in the past is refused before asking the library.
	p = b.get("/titles/" + l.novel2.BiblioID)
	p = b.post("/titles/"+l.novel2.BiblioID+"/hold", url.Values{"pickup": {"MAIN"}, "not_needed_after": {"2000-01-01"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "That date has already passed.")
}

func TestHoldRefusalReasonShown(t *testing.T) {
	l := newLib(t)
	_, err := l.svc.BlockPatron(l.ctx, l.ann.PatronID, "lost card")
	must(t, err)
	b := l.browser()
	b.login(annCard, annPIN)
	p := b.get("/titles/" + l.novel.BiblioID)
	wantIn(t, p, "You may not place holds at the moment", "Your card is blocked.")
	p = b.post("/titles/"+l.novel.BiblioID+"/hold", url.Values{"pickup": {"MAIN"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "Your card is blocked.")
}

func TestRenewOneAndAll(t *testing.T) {
	l := newLib(t)
	l.lend(annCard, "N1")
	l.lend(annCard, "L1")
	// Bob waits for the large print edition: its renewal is refused.
	_, err := l.svc.PlaceHold(l.ctx, domain.HoldRequest{PatronID: l.bob.PatronID, BiblioID: l.novel2.BiblioID})
	must(t, err)
	b := l.browser()
	b.login(annCard, annPIN)
	p := b.post("/account/loans/renew", nil)
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "“The Long Winter” renewed: now due", "“The Long Winter” was not renewed: Someone else has reserved it.")
	// One renewal is allowed: the second is refused with its reason.
	loans, err := l.svc.PatronLoans(l.ctx, l.ann.PatronID, false)
	must(t, err)
	var n1 *domain.Loan
	for _, ln := range loans {
		if ln.Barcode == "N1" {
			n1 = ln
		}
	}
	p = b.post("/account/loans/"+n1.LoanID+"/renew", nil)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "It has been renewed as many times as allowed.")
	for _, op := range l.ops(branch.KindRenew) {
		if op.Channel != "web" {
			t.Fatalf("renew op channel %q", op.Channel)
		}
	}
}

func TestSuspendResumeCancelAndPickup(t *testing.T) {
	l := newLib(t)
	h, err := l.svc.PlaceHold(l.ctx, domain.HoldRequest{PatronID: l.ann.PatronID, BiblioID: l.novel.BiblioID, PickupBranch: "MAIN"})
	must(t, err)
	b := l.browser()
	b.login(annCard, annPIN)
	b.get("/account")
	until := l.svc.Now().AddDate(0, 0, 14).Format(domain.DateLayout)
	p := b.post("/account/holds/"+h.HoldID+"/suspend", url.Values{"until": {until}})
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "is suspended until", "Resume")
	got, err := l.svc.Hold(l.ctx, h.HoldID)
	must(t, err)
	if got.SuspendedUntil != until {
		t.Fatalf("suspended until %q", got.SuspendedUntil)
	}
	p = b.post("/account/holds/"+h.HoldID+"/suspend", url.Values{"until": {l.svc.Now().Format(domain.DateLayout)}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantIn(t, p, "Choose a date after today.")
	p = b.post("/account/holds/"+h.HoldID+"/resume", nil)
	wantIn(t, p, "is active again")
	if got, _ := l.svc.Hold(l.ctx, h.HoldID); got.SuspendedUntil != "" {
		t.Fatal("not resumed")
	}
	p = b.post("/account/holds/"+h.HoldID+"/pickup", url.Values{"pickup": {"EAST"}})
	wantIn(t, p, "You will pick up “The Long Winter” at Eastside Library.")
	if got, _ := l.svc.Hold(l.ctx, h.HoldID); got.PickupBranch != "EAST" {
		t.Fatal("pickup not changed")
	}
	p = b.post("/account/holds/"+h.HoldID+"/cancel", nil)
	wantIn(t, p, "Your hold on “The Long Winter” is cancelled.", "You have no holds.")
	for _, op := range l.ops(branch.KindHoldSuspend, branch.KindHoldPickup, branch.KindHoldStatus) {
		if op.Channel != "web" || op.Actor != "patron:"+l.ann.PatronID {
			t.Fatalf("%s op channel %q actor %q", op.Kind, op.Channel, op.Actor)
		}
	}
}

// Another patron's loans and holds are never reachable: acting on them
// answers "not found" and changes nothing.
func TestAnotherPatronsDataUnreachable(t *testing.T) {
	l := newLib(t)
	loan := l.lend(annCard, "N1")
	h, err := l.svc.PlaceHold(l.ctx, domain.HoldRequest{PatronID: l.ann.PatronID, BiblioID: l.novel2.BiblioID})
	must(t, err)
	before, err := l.svc.StateHash(l.ctx)
	must(t, err)
	b := l.browser()
	b.login(bobCard, bobPIN)
	p := b.get("/account")
	wantNotIn(t, p, "Ann", "The Long Winter", loan.LoanID, h.HoldID)
	for _, path := range []string{"/account/loans/" + loan.LoanID + "/renew", "/account/holds/" + h.HoldID + "/cancel",
		"/account/holds/" + h.HoldID + "/resume", "/account/holds/" + h.HoldID + "/pickup"} {
		b.get("/account")
		p := b.post(path, url.Values{"pickup": {"EAST"}})
		wantStatus(t, p, http.StatusNotFound)
		wantNotIn(t, p, "The Long Winter")
	}
	b.get("/account")
	wantStatus(t, b.post("/account/holds/"+h.HoldID+"/suspend", url.Values{"until": {"2030-01-01"}}), http.StatusNotFound)
	after, err := l.svc.StateHash(l.ctx)
	must(t, err)
	if after != before {
		t.Fatal("another patron's actions changed the state")
	}
}

func TestFeesLedger(t *testing.T) {
	l := newLib(t)
	_, err := l.svc.Charge(l.ctx, l.ann.PatronID, domain.ChargeRequest{AmountCents: 350, Kind: "damage", Description: "Water damage"})
	must(t, err)
	_, err = l.svc.Pay(l.ctx, l.ann.PatronID, domain.PaymentRequest{AmountCents: 100, Method: "cash"})
	must(t, err)
	b := l.browser()
	b.login(annCard, annPIN)
	p := b.get("/account")
	wantIn(t, p, "Balance: €2.50", "Damage: Water damage", "€3.50", "Payment", "−€1.00")
	b.lang = "fi"
	b.get("/") // no effect: the cookie-less choice follows Accept-Language
	p = b.get("/account")
	wantIn(t, p, `lang="fi"`, "Saldo: 2,50\u00a0€")
}

func TestProfileAndPIN(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	b.login(annCard, annPIN)
	b.get("/account/profile")
	p := b.post("/account/profile", url.Values{"email": {"ann@example.org"}, "phone": {"040 123"}, "address": {"1 Elm St"}})
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "Your details are saved.", `value="ann@example.org"`)
	p = b.post("/account/profile", url.Values{"email": {"not an address"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	got, _ := l.svc.Patron(l.ctx, l.ann.PatronID)
	if got.Email != "ann@example.org" || got.Phone != "040 123" {
		t.Fatalf("patron %+v", got)
	}
	p = b.post("/account/pin", url.Values{"current_pin": {annPIN}, "new_pin": {"4321"}, "new_pin_again": {"4322"}})
	wantIn(t, p, "The new PINs are not the same.")
	p = b.post("/account/pin", url.Values{"current_pin": {"0000"}, "new_pin": {"4321"}, "new_pin_again": {"4321"}})
	wantIn(t, p, "The current PIN is wrong.")
	p = b.post("/account/pin", url.Values{"current_pin": {annPIN}, "new_pin": {"4321"}, "new_pin_again": {"4321"}})
	wantIn(t, p, "Your PIN is changed.")
	if _, err := l.svc.CheckPIN(l.ctx, annCard, "4321"); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
}

func TestLanguage(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	b.lang = "fi-FI,fi;q=0.9,en;q=0.5"
	p := b.get("/")
	wantIn(t, p, `<html lang="fi">`, "Hae aineistoa", `lang="en">In English</button>`)
	b.lang = "de"
	wantIn(t, b.get("/"), `<html lang="en">`)
	// The switch keeps the choice in a cookie before login...
	p = b.post("/language", url.Values{"lang": {"fi"}, "next": {"/search"}})
	if p.url != "/search" {
		t.Fatalf("after switch at %s", p.url)
	}
	wantIn(t, p, `<html lang="fi">`)
	wantStatus(t, b.post("/language", url.Values{"lang": {"xx"}}), http.StatusBadRequest)
	// ...and on the patron once logged in: an op, used on every node.
	b.login(annCard, annPIN)
	b.get("/account/profile")
	b.post("/language", url.Values{"lang": {"en"}, "next": {"/account"}})
	got, err := l.svc.Patron(l.ctx, l.ann.PatronID)
	must(t, err)
	if got.Language != "en" {
		t.Fatalf("patron language %q", got.Language)
	}
	// A new browser with Finnish Accept-Language: the patron's choice wins.
	nb := l.browser()
	nb.lang = "fi"
	nb.login(annCard, annPIN)
	wantIn(t, nb.get("/account"), `<html lang="en">`, "Hello, Ann")
	if ops := l.ops(branch.KindPatronSet); ops[len(ops)-1].Channel != "web" {
		t.Fatal("language op is not on channel web")
	}
}

func TestDigitalCard(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	if p := b.get("/account/card"); p.url != "/login" {
		t.Fatal("card without login")
	}
	b.login(annCard, annPIN)
	p := b.get("/account/card")
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, `aria-label="Barcode of card number `+annCard+`"`, `aria-label="QR code of card number `+annCard+`"`, `<svg`, `class="cardno"`, ">"+annCard+"<")
	if strings.Count(p.body, "<svg") != 2 {
		t.Fatal("want two codes")
	}
}

func TestStaticAssets(t *testing.T) {
	l := newLib(t, func(c *web.Config) { c.Branding.Primary = "#123456" })
	b := l.browser()
	for path, want := range map[string]string{"/static/style.css": "text/css", "/static/app.js": "javascript",
		"/static/theme.css": "--primary:#123456", "/static/logo": "image/svg+xml"} {
		p := b.get(path)
		wantStatus(t, p, http.StatusOK)
		if !strings.Contains(p.hdr.Get("Content-Type"), want) && !strings.Contains(p.body, want) {
			t.Fatalf("%s: %s %q", path, p.hdr.Get("Content-Type"), p.body)
		}
	}
	wantStatus(t, b.get("/static/nope.js"), http.StatusNotFound)
	if _, err := web.New(web.Config{Library: l.svc, ClusterKey: l.key, Searcher: l.svc}); err != nil {
		t.Fatal(err)
	}
	if _, err := web.New(web.Config{Library: l.svc, ClusterKey: []byte("short")}); err == nil {
		t.Fatal("a short key was accepted")
	}
}

// Logging in starts a new session: the session ID (and so the CSRF token)
// planted before login is worth nothing after it.
func TestLoginStartsANewSession(t *testing.T) {
	l := newLib(t)
	b := l.browser()
	b.get("/login")
	before := b.csrf()
	p := b.post("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}})
	wantStatus(t, p, http.StatusOK)
	if after := b.csrf(); after == before {
		t.Fatal("the session ID survived the login")
	}
	p = b.postRaw("/account/loans/renew", url.Values{"csrf": {before}})
	wantStatus(t, p, http.StatusForbidden)
}

// TestPagesGzipped: a page goes gzipped to a client that takes gzip (and
// says it varies by Accept-Encoding), plain to one that does not.
func TestPagesGzipped(t *testing.T) {
	l := newLib(t)
	get := func(enc string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", l.srv.URL+"/search?q=winter", nil)
		if err != nil {
			t.Fatal(err)
		}
		// Set by hand, the Transport does not decompress on its own.
		req.Header.Set("Accept-Encoding", enc)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := get("br;q=1.0, gzip;q=0.8")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("headers %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	html, err := io.ReadAll(zr)
	if err != nil || !strings.Contains(string(html), "The Long Winter") {
		t.Fatalf("gzipped page: %v\n%.300s", err, html)
	}
	for _, enc := range []string{"", "identity", "gzip;q=0", "br"} {
		resp := get(enc)
		body, _ := io.ReadAll(resp.Body)
		if resp.Header.Get("Content-Encoding") != "" || !strings.Contains(string(body), "The Long Winter") {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, page %.100s", enc, resp.Header.Get("Content-Encoding"), body)
		}
	}
}
