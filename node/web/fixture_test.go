package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/branch/search"
	"stacks/branch/websession"
	"stacks/node/web"
	"stacks/replicate"
)

// lib is a branch MAIN with a second branch EAST, two patrons, and a few
// titles with copies, served by the patron web on 127.0.0.1.
type lib struct {
	t      testing.TB
	env    *branchtest.Env
	svc    *branch.Service
	ctx    context.Context
	srv    *httptest.Server
	web    *web.Server
	idx    *search.Index    // the catalogue's index the search page asks
	dig    *digital.Service // digital lending, standalone
	key    []byte
	ann    *domain.Patron // a 14-digit card as the library issues them, PIN 1234
	bob    *domain.Patron // card 1002, PIN 5678
	novel  *domain.Biblio // two copies at MAIN, one at EAST
	novel2 *domain.Biblio // another edition of the novel, large print
	ebook  *domain.Biblio
	xss    *domain.Biblio
}

const (
	annCard, annPIN = "21000000000017", "1234"
	bobCard, bobPIN = "1002", "5678"
)

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func newLib(t testing.TB, opts ...func(*web.Config)) *lib {
	t.Helper()
	env := branchtest.Open(t, branchtest.Options{})
	l := &lib{t: t, env: env, svc: env.Service, ctx: branchtest.Admin(context.Background()), key: []byte("0123456789abcdef0123456789abcdef")}
	ctx, svc := l.ctx, l.svc
	for _, lb := range []domain.Library{{BranchID: "MAIN", Name: "Main Library", HoldShelfDays: 7}, {BranchID: "EAST", Name: "Eastside Library", HoldShelfDays: 5}} {
		must(t, svc.SetLibrary(ctx, lb))
	}
	must(t, svc.SetCategory(ctx, domain.Category{Category: "ADULT", MaxFineCents: 1000, EnrolmentMonths: 12, MaxHolds: 5}))
	must(t, svc.SetItemType(ctx, domain.ItemType{ItemType: "BOOK", ReplacementCents: 2500}))
	must(t, svc.SetRule(ctx, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 1, MaxLoans: 5,
		FineCents: 25, MaxFineCents: 500, HoldsAllowed: true}))
	var err error
	l.ann, err = svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: annCard, Firstname: "Ann", Surname: "Archer", Category: "ADULT", PIN: annPIN, HomeBranch: "MAIN"})
	must(t, err)
	l.bob, err = svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: bobCard, Firstname: "Bob", Surname: "Baker", Category: "ADULT", PIN: bobPIN, HomeBranch: "EAST"})
	must(t, err)
	l.novel = l.title(domain.NewBiblio{Title: "The Long Winter", Authors: []string{"Wilder, Laura"}, Format: "book", Year: 1940})
	l.novel2 = l.title(domain.NewBiblio{Title: "The Long Winter", Authors: []string{"Wilder, Laura"}, Format: "large_print", Year: 1990})
	l.ebook = l.title(domain.NewBiblio{Title: "Winter Stories", Format: "ebook", Licences: 2})
	l.xss = l.title(domain.NewBiblio{Title: `<script>alert("x")</script> Winter`, Authors: []string{`<img src=x onerror=alert(1)>`}, Format: "book"})
	l.item(l.novel, "N1", "MAIN", "F WIL")
	l.item(l.novel, "N2", "MAIN", "F WIL")
	l.item(l.novel, "N3", "EAST", "F WIL")
	l.item(l.novel2, "L1", "MAIN", "LP WIL")
	l.item(l.xss, "X1", "MAIN", `<b>bold</b>`)
	l.idx, err = search.Open(ctx, svc, nil, env.Clock.Now)
	must(t, err)
	l.dig = digital.NewService(svc, nil, nil)
	cfg := web.Config{Library: svc, Catalogue: l.idx, Digital: l.dig, Sessions: websession.New(svc), ClusterKey: l.key, Currency: "EUR"}
	for _, o := range opts {
		o(&cfg)
	}
	l.web, err = web.New(cfg)
	must(t, err)
	l.srv = httptest.NewServer(l.web.Handler())
	t.Cleanup(l.srv.Close)
	return l
}

func (l *lib) title(nb domain.NewBiblio) *domain.Biblio {
	l.t.Helper()
	b, err := l.svc.AddBiblio(l.ctx, nb)
	must(l.t, err)
	return b
}

func (l *lib) item(b *domain.Biblio, barcode, home, call string) *domain.Item {
	l.t.Helper()
	it, err := l.svc.AddItem(l.ctx, domain.NewItem{Barcode: barcode, BiblioID: b.BiblioID, ItemType: "BOOK", HomeBranch: home, CallNumber: call})
	must(l.t, err)
	return it
}

// lend checks out a copy to a patron at the desk.
func (l *lib) lend(card, barcode string) *domain.Loan {
	l.t.Helper()
	res, err := l.svc.Checkout(l.ctx, domain.CheckoutRequest{Cardnumber: card, Barcode: barcode})
	must(l.t, err)
	return res.Loan
}

// ops are the ops whose kind is one of kinds.
func (l *lib) ops(kinds ...string) []replicate.Op {
	l.t.Helper()
	all, err := l.env.Log.AllOps(context.Background())
	must(l.t, err)
	var out []replicate.Op
	for _, op := range all {
		for _, k := range kinds {
			if op.Kind == k {
				out = append(out, op)
			}
		}
	}
	return out
}

// browser is a client with its own cookies.
type browser struct {
	t    testing.TB
	l    *lib
	base string
	c    *http.Client
	// lastBody is the last page fetched.
	lastBody string
	lang     string
}

func (l *lib) browser() *browser {
	return l.browserAt(l.srv.URL)
}

func (l *lib) browserAt(base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: l.t, l: l, base: base, c: &http.Client{Jar: jar}}
}

type page struct {
	status int
	body   string
	hdr    http.Header
	url    string
	absURL string // the whole URL the page came from
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	must(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(b.t, err)
	b.lastBody = string(body)
	return page{status: resp.StatusCode, body: string(body), hdr: resp.Header, url: resp.Request.URL.Path, absURL: resp.Request.URL.String()}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.base+path, nil)
	must(b.t, err)
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the last page.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.lastBody)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", b.lastBody)
	}
	return m[1]
}

// post sends a form with the last page's CSRF token.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf())
	}
	return b.postRaw(path, form)
}

func (b *browser) postRaw(path string, form url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	must(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in through the form.
func (b *browser) login(card, pin string) page {
	b.t.Helper()
	b.get("/login")
	p := b.post("/login", url.Values{"cardnumber": {card}, "pin": {pin}})
	return p
}

func wantStatus(tb testing.TB, p page, want int) {
	tb.Helper()
	if p.status != want {
		tb.Fatalf("status %d, want %d; page:\n%s", p.status, want, p.body)
	}
}

func wantIn(tb testing.TB, p page, subs ...string) {
	tb.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			tb.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

func wantNotIn(tb testing.TB, p page, subs ...string) {
	tb.Helper()
	for _, s := range subs {
		if strings.Contains(p.body, s) {
			tb.Fatalf("page has %q:\n%s", s, p.body)
		}
	}
}
