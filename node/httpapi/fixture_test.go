package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/node/httpapi"
	"stacks/node/payments"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

type fakeClock = replicatetest.Clock

var newFakeClock = replicatetest.NewClock

// syncBuffer collects output from many goroutines.
type syncBuffer = replicatetest.SyncBuffer

// start is when every fixture's clock begins: a Monday morning.
var start = time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC)

// fixture is a branch over a real SQLite file, served over a real listener.
type fixture struct {
	tb     testing.TB
	clock  *fakeClock
	svc    *branch.Service
	api    *httpapi.API
	srv    *httptest.Server
	client *http.Client
	logs   *syncBuffer
	admin  context.Context

	patrons map[string]*domain.Patron // by first name
	biblios map[string]*domain.Biblio // by title
	items   map[string]*domain.Item   // by barcode
}

type fixtureConfig struct {
	clock   replicate.Clock // nil: a fake clock at start
	logger  *slog.Logger    // nil: the test's log plus f.logs
	seed    bool            // create the library, patrons and catalogue
	maxBody int64
	pay     payments.Provider // nil: online payments not offered
	// searches makes the search counter; nil counts nothing.
	searches func(*branch.Service) httpapi.SearchCounter
}

// openService opens a branch service over a fresh database in a temp dir.
func openService(tb testing.TB, clock replicate.Clock, lg *slog.Logger) *branch.Service {
	tb.Helper()
	return branchtest.Open(tb, branchtest.Options{Clock: clock, Logger: lg, Rand: 7, PINCost: bcrypt.MinCost}).Service
}

func newFixture(tb testing.TB) *fixture {
	return newFixtureWith(tb, fixtureConfig{seed: true})
}

func newFixtureWith(tb testing.TB, cfg fixtureConfig) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, logs: &syncBuffer{}, patrons: map[string]*domain.Patron{},
		biblios: map[string]*domain.Biblio{}, items: map[string]*domain.Item{}}
	var clock replicate.Clock = cfg.clock
	if clock == nil {
		f.clock = newFakeClock(start)
		clock = f.clock
	}
	lg := cfg.logger
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.MultiWriter(replicatetest.TBWriter{TB: tb}, f.logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f.svc = openService(tb, clock, lg)
	f.admin = domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	if cfg.seed {
		f.seed()
	} else {
		// Requests are sent as admin by default.
		_, err := f.svc.SetStaff(f.admin, domain.NewStaff{Username: "admin", Role: domain.RoleAdmin, Password: "admin"})
		must(tb, err)
	}
	var sc httpapi.SearchCounter
	if cfg.searches != nil {
		sc = cfg.searches(f.svc)
	}
	api, err := httpapi.New(httpapi.Config{Service: f.svc, Logger: lg, MaxBodyBytes: cfg.maxBody, Clock: clock, Location: time.UTC,
		Payments: cfg.pay, Searches: sc})
	if err != nil {
		tb.Fatal(err)
	}
	f.api = api
	f.srv = httptest.NewServer(api.Handler())
	tb.Cleanup(f.srv.Close)
	f.client = f.srv.Client()
	return f
}

// must fails the test on err.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// seed creates two libraries, categories, item types, a rules matrix,
// staff, patrons and a small catalogue.
func (f *fixture) seed() {
	tb, ctx, s := f.tb, f.admin, f.svc
	tb.Helper()
	branchtest.SeedPolicy(tb, ctx, s)
	for _, st := range []domain.NewStaff{
		{Username: "admin", DisplayName: "Admin", Role: domain.RoleAdmin, BranchID: "MAIN", Password: "admin"},
		{Username: "clerk", DisplayName: "Clerk", Role: domain.RoleCirculation, BranchID: "MAIN", Password: "clerk"},
		{Username: "super", DisplayName: "Super", Role: domain.RoleSupervisor, BranchID: "MAIN", Password: "super"},
		{Username: "centralit", DisplayName: "Central IT", Role: domain.RoleCentralIT, Password: "centralit"},
		{Username: "demo-kiosk", DisplayName: "Kiosk", Role: domain.RoleKiosk, BranchID: "MAIN", Password: "demo-kiosk"},
	} {
		_, err := s.SetStaff(ctx, st)
		must(tb, err)
	}
	for _, np := range []domain.NewPatron{
		{Cardnumber: "21000000000001", Firstname: "Alice", Surname: "Archer", Category: "ADULT", PIN: "1234", Email: "alice@example.org"},
		{Cardnumber: "21000000000002", Firstname: "Bob", Surname: "Baker", Category: "ADULT", PIN: "1234"},
		{Cardnumber: "21000000000003", Firstname: "Carol", Surname: "Cooper", Category: "CHILD", PIN: "1234", HomeBranch: "EAST"},
		{Cardnumber: "21000000000004", Firstname: "Dave", Surname: "Dodd", Category: "ADULT", PIN: "1234"},
	} {
		p, err := s.RegisterPatron(ctx, np)
		must(tb, err)
		f.patrons[p.Firstname] = p
	}
	_, err := s.BlockPatron(ctx, f.patrons["Dave"].PatronID, "lost three books")
	must(tb, err)
	for _, b := range []struct {
		nb    domain.NewBiblio
		items []domain.NewItem
	}{
		{domain.NewBiblio{Title: "The Hobbit", Authors: []string{"Tolkien, J. R. R."}, ISBN: "9780261102217", Year: 1937},
			[]domain.NewItem{{Barcode: "B0001", ItemType: "BOOK"}, {Barcode: "B0002", ItemType: "BOOK"}}},
		{domain.NewBiblio{Title: "Dune", Authors: []string{"Herbert, Frank"}, Year: 1965},
			[]domain.NewItem{{Barcode: "D0001", ItemType: "BOOK", PriceCents: 1800}}},
		{domain.NewBiblio{Title: "World Atlas", Format: "map"},
			[]domain.NewItem{{Barcode: "R0001", ItemType: "REF"}}},
		{domain.NewBiblio{Title: "Alien", Format: "dvd", Year: 1979},
			[]domain.NewItem{{Barcode: "V0001", ItemType: "DVD"}}},
	} {
		bib, err := s.AddBiblio(ctx, b.nb)
		must(tb, err)
		f.biblios[bib.Title] = bib
		for _, ni := range b.items {
			ni.BiblioID = bib.BiblioID
			it, err := s.AddItem(ctx, ni)
			must(tb, err)
			f.items[it.Barcode] = it
		}
	}
}

// response is what came back from one request.
type response struct {
	status int
	header http.Header
	body   []byte
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

func basicAuth(user, pass string) reqOpt {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

func header(k, v string) reqOpt {
	return func(r *http.Request) { r.Header.Set(k, v) }
}

func bearer(token string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// Requests are sent as admin unless an option says otherwise; asAnon sends
// no credentials.
var (
	asAdmin     = basicAuth("admin", "admin")
	asClerk     = basicAuth("clerk", "clerk")
	asSuper     = basicAuth("super", "super")
	asCentralIT = basicAuth("centralit", "centralit")
	asKiosk     = basicAuth("demo-kiosk", "demo-kiosk")
	asAnon      = reqOpt(func(r *http.Request) { r.Header.Del("Authorization") })
)

// rawBody is a body sent as it is.
type rawBody string

// do sends a request, as admin unless opts say otherwise. A body that is
// not rawBody, []byte or io.Reader is sent as JSON. Every error response is checked to be a problem with a code.
func (f *fixture) do(method, path string, body any, opts ...reqOpt) response {
	f.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd = strings.NewReader(string(b))
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		must(f.tb, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	must(f.tb, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth("admin", "admin")
	for _, o := range opts {
		o(req)
	}
	res, err := f.client.Do(req)
	must(f.tb, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	must(f.tb, err)
	r := response{status: res.StatusCode, header: res.Header, body: data}
	if r.status < 300 && bytes.Contains(data, []byte("null")) {
		f.tb.Errorf("%s %s: a null in the response: %s", method, path, data)
	}
	if r.status >= 400 {
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			f.tb.Errorf("%s %s: %d with Content-Type %q, want application/problem+json", method, path, r.status, ct)
		}
		var p problemJSON
		if err := json.Unmarshal(data, &p); err != nil || p.Code == "" || p.Status != r.status || p.Type != "about:blank" || p.Title == "" {
			f.tb.Errorf("%s %s: %d with a malformed problem %s (%v)", method, path, r.status, data, err)
		}
	}
	return r
}

// want checks the status and decodes the body into v (unless nil).
func (r response) want(tb testing.TB, status int, v any) {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			tb.Fatalf("decode %s: %v", r.body, err)
		}
	}
}

// problemJSON is an error response.
type problemJSON struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Code        string `json:"code"`
	Detail      string `json:"detail"`
	Overridable bool   `json:"overridable"`
}

// wantProblem checks an error response's status and code.
func (r response) wantProblem(tb testing.TB, status int, code string) problemJSON {
	tb.Helper()
	var p problemJSON
	if r.status != status {
		tb.Fatalf("status %d, want %d (%s): %s", r.status, status, code, r.body)
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		tb.Fatalf("decode problem %s: %v", r.body, err)
	}
	if p.Code != code {
		tb.Fatalf("code %q, want %q: %s", p.Code, code, r.body)
	}
	if p.Detail == "" {
		tb.Errorf("problem without detail: %s", r.body)
	}
	return p
}

// loanJSON is the flat checkout object.
type loanJSON struct {
	CheckoutID  string   `json:"checkout_id"`
	ItemID      string   `json:"item_id"`
	PatronID    string   `json:"patron_id"`
	LibraryID   string   `json:"library_id"`
	DueDate     string   `json:"due_date"`
	Barcode     string   `json:"barcode"`
	Title       string   `json:"title"`
	Cardnumber  string   `json:"cardnumber"`
	Renewals    int      `json:"renewals"`
	CheckinDate string   `json:"checkin_date"`
	Overridden  []string `json:"overridden"`
	HoldFilled  string   `json:"hold_filled"`
	FineCents   *int64   `json:"fine_cents"`
}

// checkout lends an item by card number and barcode, and wants it to work.
func (f *fixture) checkout(card, barcode string, opts ...reqOpt) loanJSON {
	f.tb.Helper()
	var l loanJSON
	f.do("POST", "/api/v1/checkouts", map[string]any{"cardnumber": card, "barcode": barcode}, opts...).want(f.tb, http.StatusCreated, &l)
	return l
}

// stateHash is the node's state hash, as the API reports it.
func (f *fixture) stateHash() string {
	f.tb.Helper()
	var st struct {
		StateHash string `json:"state_hash"`
	}
	f.do("GET", "/api/v1/cluster/state", nil).want(f.tb, http.StatusOK, &st)
	if st.StateHash == "" {
		f.tb.Fatal("empty state hash")
	}
	return st.StateHash
}

func card(p *domain.Patron) string { return p.Cardnumber }

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// opCount is how many ops the node's log holds.
func (f *fixture) opCount() uint64 {
	f.tb.Helper()
	vv, err := f.svc.Log().VersionVector(context.Background())
	must(f.tb, err)
	var n uint64
	for _, c := range vv {
		n += c
	}
	return n
}
