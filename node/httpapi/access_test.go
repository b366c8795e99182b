package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node/httpapi"
)

// TestEveryRouteHasPermission: every registered route has an entry in the
// permission table (the table may list routes registered elsewhere later).
func TestEveryRouteHasPermission(t *testing.T) {
	f := newFixtureWith(t, fixtureConfig{})
	routes := f.api.Routes()
	if len(routes) < 60 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, p := range routes {
		if found, _, _, _, _, _ := httpapi.RouteAccess(p); !found {
			t.Errorf("route %q has no entry in the permission table (node/httpapi/permissions.go)", p)
		}
	}
	// The central role's routes are registered in central.go; their
	// entries are in the table already.
	for _, tc := range []struct {
		pattern string
		perm    string
		public  bool
	}{
		{"GET /api/v1/cluster/status", string(domain.PermClusterStatus), false},
		{"GET /status", string(domain.PermClusterStatus), false},
		{"GET /metrics", "", true},
		{"GET /api/v1/cluster/raft", string(domain.PermClusterAdmin), false},
		{"POST /api/v1/cluster/members", string(domain.PermClusterAdmin), false},
		{"DELETE /api/v1/cluster/members/{id}", string(domain.PermClusterAdmin), false},
		{"GET /api/v1/cluster/state", string(domain.PermClusterState), false},
		{"GET /api/v1/cluster/peers", string(domain.PermClusterState), false},
	} {
		found, public, _, perm, _, _ := httpapi.RouteAccess(tc.pattern)
		if !found || public != tc.public || perm != tc.perm {
			t.Errorf("%s: found %v public %v perm %q, want public %v perm %q", tc.pattern, found, public, perm, tc.public, tc.perm)
		}
	}
	for _, tc := range []struct {
		role string
		perm domain.Permission
		want bool
	}{
		{domain.RoleSupervisor, domain.PermClusterStatus, true},
		{domain.RoleCirculation, domain.PermClusterStatus, false},
		{domain.RoleAdmin, domain.PermClusterAdmin, true},
		{domain.RoleCentralIT, domain.PermClusterAdmin, true},
		{domain.RoleSupervisor, domain.PermClusterAdmin, false},
	} {
		if domain.Can(tc.role, tc.perm) != tc.want {
			t.Errorf("Can(%s, %s) != %v", tc.role, tc.perm, tc.want)
		}
	}
}

// publicRoutes are the only routes an anonymous caller may use: the
// catalogue, availability, libraries, the calendar, health and logins.
var publicRoutes = []string{
	"GET /healthz", "GET /metrics", "GET /api/v1/openapi.json", "POST /api/v1/auth/login", "POST /api/v1/auth/patron",
	"GET /api/v1/libraries", "GET /api/v1/libraries/{id}", "GET /api/v1/patron_categories", "GET /api/v1/item_types",
	"GET /api/v1/biblios", "GET /api/v1/biblios/{id}", "GET /api/v1/biblios/{id}/editions", "GET /api/v1/biblios/{id}/items", "GET /api/v1/biblios/{id}/availability",
	"GET /api/v1/items", "GET /api/v1/items/{id}", "GET /api/v1/calendar", "GET /api/v1/biblios/{id}/licences",
	"GET /api/v1/you_said_we_did", "GET /api/v1/biblios/{id}/recommendations",
	"GET /api/v1/events", "GET /api/v1/events/{id}",
}

// personal reports whether a route serves or changes a patron's personal
// data (patrons, loans, holds, fees).
func personal(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	for _, p := range []string{"/api/v1/patrons", "/api/v1/patron/", "/api/v1/checkouts", "/api/v1/holds", "/api/v1/fees", "/api/v1/biblios/{id}/holds",
		"/api/v1/digital_checkouts", "/api/v1/digital_holds", "/api/v1/biblios/{id}/digital_holds",
		"/api/v1/events/{id}/registrations", "/api/v1/events/{id}/checkins", "/api/v1/event_checkins"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// matrixEnv is what the route × role table test fills the routes with.
type matrixEnv struct {
	alice, bob    *domain.Patron
	loan, bobLoan string
	hold          string
	dune          string
}

func newMatrixEnv(t *testing.T, f *fixture) matrixEnv {
	t.Helper()
	e := matrixEnv{alice: f.patrons["Alice"], bob: f.patrons["Bob"], dune: f.biblios["Dune"].BiblioID}
	e.loan = f.checkout(card(e.alice), "B0001").CheckoutID
	e.bobLoan = f.checkout(card(e.bob), "D0001").CheckoutID
	var h struct {
		HoldID string `json:"hold_id"`
	}
	f.do("POST", "/api/v1/holds", map[string]any{"patron_id": e.alice.PatronID, "biblio_id": e.dune, "pickup_library_id": "MAIN"}).
		want(t, http.StatusCreated, &h)
	e.hold = h.HoldID
	return e
}

// request fills a route pattern in: its path parameters with things that
// exist (Alice's account, her loan and hold), a patron_id where a list
// needs one, and a body.
func (e matrixEnv) request(f *fixture, pattern string) (method, path string, body any) {
	method, path, _ = strings.Cut(pattern, " ")
	ids := map[string]string{
		"/patrons/{id}": "/patrons/" + e.alice.PatronID, "/checkouts/{id}": "/checkouts/" + e.loan, "/holds/{id}": "/holds/" + e.hold,
		"/biblios/{id}": "/biblios/" + e.dune, "/items/{id}": "/items/" + f.items["B0002"].ItemID, "/libraries/{id}": "/libraries/MAIN",
		"/patron_categories/{id}": "/patron_categories/ADULT", "/item_types/{id}": "/item_types/BOOK",
		"/conflicts/{id}": "/conflicts/none", "/staff/{username}": "/staff/nobody", "/members/{id}": "/members/none",
		"/nodes/{node_id}": "/nodes/none",
	}
	for k, v := range ids {
		path = strings.Replace(path, k, v, 1)
	}
	switch pattern {
	case "GET /api/v1/checkouts", "GET /api/v1/fees", "GET /api/v1/holds":
		path += "?patron_id=" + e.alice.PatronID
	}
	if method == "POST" || method == "PUT" || method == "PATCH" {
		body = map[string]any{}
	}
	if pattern == "POST /api/v1/digital_checkouts" || pattern == "POST /api/v1/digital_holds" {
		body = map[string]any{"patron_id": e.alice.PatronID, "biblio_id": e.dune}
	}
	if pattern == "POST /api/v1/events/{id}/registrations" {
		body = map[string]any{"patron_id": e.alice.PatronID}
	}
	if pattern == "POST /api/v1/holds" {
		body = map[string]any{"patron_id": e.alice.PatronID, "biblio_id": f.biblios["The Hobbit"].BiblioID, "pickup_library_id": "MAIN"}
	}
	return method, path, body
}

// denied reports whether a response refused the caller (as opposed to the
// route working, or the domain refusing the request itself).
func denied(r response) (bool, string) {
	var p problemJSON
	json.Unmarshal(r.body, &p)
	switch {
	case r.status == http.StatusUnauthorized && p.Code == "login_required":
		return true, "401"
	case r.status == http.StatusForbidden && p.Code == "not_permitted":
		return true, "403"
	}
	return false, ""
}

// TestRoleMatrix calls every route as every kind of caller and checks that
// each may do what its role grants and nothing more: allowed calls answer
// 2xx or a domain error, refused ones 401 (no login) or 403 naming the
// missing permission.
func TestRoleMatrix(t *testing.T) {
	f := newFixture(t)
	e := newMatrixEnv(t, f)
	var pl struct {
		Token string `json:"token"`
	}
	f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": card(e.alice), "pin": "1234"}, asAnon).want(t, http.StatusOK, &pl)
	callers := []struct {
		name string
		role string // "" anonymous
		opt  reqOpt
	}{
		{"anonymous", "", asAnon},
		{"patron", domain.RolePatron, bearer(pl.Token)},
		{"clerk", domain.RoleCirculation, asClerk},
		{"kiosk", domain.RoleKiosk, asKiosk},
		{"super", domain.RoleSupervisor, asSuper},
		{"centralit", domain.RoleCentralIT, asCentralIT},
		{"admin", domain.RoleAdmin, asAdmin},
	}
	counts := map[bool]int{}
	defer func() {
		t.Logf("%d calls allowed, %d refused", counts[false], counts[true])
		if counts[false] < 150 || counts[true] < 150 {
			t.Errorf("too few calls allowed or refused: %v", counts)
		}
	}()
	for _, pattern := range f.api.Routes() {
		_, public, login, perm, own, _ := httpapi.RouteAccess(pattern)
		self := httpapi.RouteSelf(pattern)
		for _, c := range callers {
			var want bool
			switch c.role {
			case "":
				want = public
			case domain.RolePatron:
				want = public || login || own || self
			default:
				want = !self && (public || login || domain.Can(c.role, domain.Permission(perm)))
			}
			// Independent of the table: what policy says.
			if c.role == "" && want != slices.Contains(publicRoutes, pattern) {
				t.Errorf("%s: anonymous access %v, but the public routes say otherwise", pattern, want)
			}
			if c.role == domain.RoleCentralIT && personal(pattern) && want {
				t.Errorf("%s: central IT may reach patrons' personal data", pattern)
			}
			method, path, body := e.request(f, pattern)
			r := f.do(method, path, body, c.opt)
			got, how := denied(r)
			counts[got]++
			if got == want {
				t.Errorf("%s as %s: %d %s; want allowed=%v", pattern, c.name, r.status, r.body, want)
				continue
			}
			if got && c.role == "" && how != "401" {
				t.Errorf("%s anonymously: %s, want 401", pattern, how)
			}
			if got && c.role == "" && r.header.Get("WWW-Authenticate") != `Basic realm="Stacks"` {
				t.Errorf("%s anonymously: 401 without a Basic challenge", pattern)
			}
			if got && c.role != "" {
				if how != "403" {
					t.Errorf("%s as %s: %s, want 403", pattern, c.name, how)
				}
				var p struct {
					Permission string `json:"permission"`
				}
				json.Unmarshal(r.body, &p)
				if c.role != domain.RolePatron && p.Permission != perm {
					t.Errorf("%s as %s: 403 names permission %q, want %q", pattern, c.name, p.Permission, perm)
				}
			}
		}
	}
}

// TestPatronOwnAccount: a patron's token reaches their own account only.
func TestPatronOwnAccount(t *testing.T) {
	f := newFixture(t)
	e := newMatrixEnv(t, f)
	var pl struct {
		PatronID  string `json:"patron_id"`
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": card(e.alice), "pin": "1234"}, asAnon).want(t, http.StatusOK, &pl)
	if pl.PatronID != e.alice.PatronID || pl.Token == "" || pl.ExpiresAt == "" {
		t.Fatalf("patron login: %+v", pl)
	}
	me := bearer(pl.Token)
	alice, bob := "/api/v1/patrons/"+e.alice.PatronID, "/api/v1/patrons/"+e.bob.PatronID
	var who map[string]any
	f.do("GET", "/api/v1/auth/me", nil, me).want(t, http.StatusOK, &who)
	if who["role"] != "patron" || who["patron_id"] != e.alice.PatronID {
		t.Errorf("me: %v", who)
	}
	for _, p := range []string{alice, alice + "/status", alice + "/checkouts", alice + "/holds", alice + "/account",
		"/api/v1/checkouts?patron_id=" + e.alice.PatronID, "/api/v1/fees?patron_id=" + e.alice.PatronID,
		"/api/v1/holds?patron_id=" + e.alice.PatronID, "/api/v1/checkouts/" + e.loan, "/api/v1/holds/" + e.hold} {
		f.do("GET", p, nil, me).want(t, http.StatusOK, nil)
	}
	for _, p := range []string{bob, bob + "/status", bob + "/checkouts", bob + "/holds", bob + "/account",
		"/api/v1/checkouts?patron_id=" + e.bob.PatronID, "/api/v1/fees?patron_id=" + e.bob.PatronID,
		"/api/v1/holds?patron_id=" + e.bob.PatronID, "/api/v1/checkouts/" + e.bobLoan, "/api/v1/patrons?cardnumber=" + card(e.bob),
		"/api/v1/holds/shelf", "/api/v1/audit"} {
		f.do("GET", p, nil, me).wantProblem(t, http.StatusForbidden, "not_permitted")
	}
	// Acting on their own account: renew, place and cancel a hold, pay.
	f.do("POST", "/api/v1/checkouts/"+e.loan+"/renewal", nil, me).want(t, http.StatusCreated, nil)
	f.do("POST", "/api/v1/checkouts/"+e.bobLoan+"/renewal", nil, me).wantProblem(t, http.StatusForbidden, "not_permitted")
	hobbit := f.biblios["Alien"].BiblioID
	var h struct {
		HoldID string `json:"hold_id"`
	}
	f.do("POST", "/api/v1/holds", map[string]any{"cardnumber": card(e.alice), "biblio_id": hobbit, "pickup_library_id": "MAIN"}, me).
		want(t, http.StatusCreated, &h)
	f.do("POST", "/api/v1/holds", map[string]any{"patron_id": e.bob.PatronID, "biblio_id": hobbit, "pickup_library_id": "MAIN"}, me).
		wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("POST", "/api/v1/holds", map[string]any{"cardnumber": card(e.bob), "biblio_id": hobbit, "pickup_library_id": "MAIN"}, me).
		wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("DELETE", "/api/v1/holds/"+h.HoldID, nil, me).want(t, http.StatusOK, nil)
	_, err := f.svc.Charge(f.admin, e.alice.PatronID, domain.ChargeRequest{AmountCents: 200, Kind: "damage", Description: "Torn page"})
	must(t, err)
	f.do("POST", alice+"/account/payments", map[string]any{"amount_cents": 200, "payment_type": "card"}, me).want(t, http.StatusCreated, nil)
	f.do("POST", bob+"/account/payments", map[string]any{"amount_cents": 100, "payment_type": "card"}, me).wantProblem(t, http.StatusForbidden, "not_permitted")
	// Not staff work: checkouts, waivers, overrides, edits.
	f.do("POST", "/api/v1/checkouts", map[string]any{"cardnumber": card(e.alice), "barcode": "B0002"}, me).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("POST", alice+"/account/waivers", map[string]any{"amount_cents": 100, "reason": "x"}, me).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("PATCH", alice, map[string]any{"email": "x@example.org"}, me).wantProblem(t, http.StatusForbidden, "not_permitted")
	// The ops the patron made name them as the actor, through the web.
	ops, err := f.svc.Log().AllOps(t.Context())
	must(t, err)
	var renewal bool
	for _, op := range ops {
		if op.Kind == branch.KindRenew && op.Actor == "patron:"+e.alice.PatronID && op.Channel == "web" {
			renewal = true
		}
	}
	if !renewal {
		t.Error("the patron's renewal is not recorded as theirs")
	}
}

// login gets a staff session token.
func (f *fixture) login(user, pass string) string {
	f.tb.Helper()
	var s struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
		Role      string `json:"role"`
	}
	f.do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": pass}, asAnon).want(f.tb, http.StatusOK, &s)
	if s.Token == "" || s.Role == "" {
		f.tb.Fatalf("login %s: %+v", user, s)
	}
	if exp, err := time.Parse(time.RFC3339, s.ExpiresAt); err != nil || !exp.After(f.clock.Now()) {
		f.tb.Fatalf("login %s: expires_at %q", user, s.ExpiresAt)
	}
	return s.Token
}

func TestTokens(t *testing.T) {
	f := newFixture(t)
	clerk := f.login("clerk", "clerk")
	f.do("GET", "/api/v1/patrons?cardnumber="+card(f.patrons["Alice"]), nil, bearer(clerk)).want(t, http.StatusOK, nil)
	f.do("POST", "/api/v1/auth/login", map[string]string{"username": "clerk", "password": "wrong"}, asAnon).
		wantProblem(t, http.StatusUnauthorized, "bad_credentials")
	f.do("POST", "/api/v1/auth/login", map[string]string{"username": "nobody", "password": "clerk"}, asAnon).
		wantProblem(t, http.StatusUnauthorized, "bad_credentials")

	t.Run("Tampered", func(t *testing.T) {
		i := strings.LastIndexByte(clerk, '.')
		for _, bad := range []string{clerk[:i] + ".AAAA", clerk + "x", "stacks1.e30.", "stacks1..", strings.Replace(clerk, "stacks1.", "stacks2.", 1), "x"} {
			f.do("GET", "/api/v1/auth/me", nil, bearer(bad)).wantProblem(t, http.StatusUnauthorized, "bad_token")
		}
		// A forged role: the claims re-encoded as admin, the old signature.
		forged := strings.Replace(clerk, clerk[len("stacks1."):i], b64json(t, map[string]any{"sub": "clerk", "role": "admin", "kind": "staff", "exp": 1 << 40}), 1)
		f.do("GET", "/api/v1/staff", nil, bearer(forged)).wantProblem(t, http.StatusUnauthorized, "bad_token")
	})
	t.Run("OtherNodeSameKey", func(t *testing.T) {
		key := []byte("0123456789abcdef0123456789abcdef")
		a1, err := httpapi.New(httpapi.Config{Service: f.svc, Clock: f.clock, ClusterKey: key})
		must(t, err)
		a2, err := httpapi.New(httpapi.Config{Service: f.svc, Clock: f.clock, ClusterKey: key})
		must(t, err)
		tok := serveLogin(t, a1, "super", "super")
		if got := serve(t, a2, "GET", "/api/v1/auth/me", tok); got != http.StatusOK {
			t.Errorf("a token of one node on another with the same key: %d", got)
		}
		if got := serve(t, f.api, "GET", "/api/v1/auth/me", tok); got != http.StatusUnauthorized {
			t.Errorf("a token on a node with another key: %d", got)
		}
		if _, err := httpapi.New(httpapi.Config{Service: f.svc, ClusterKey: []byte("short")}); err == nil {
			t.Error("a short cluster key was accepted")
		}
	})
	t.Run("BasicStillWorks", func(t *testing.T) {
		f.do("GET", "/api/v1/staff", nil, asAdmin).want(t, http.StatusOK, nil)
	})
	t.Run("Expiry", func(t *testing.T) {
		f.clock.Advance(httpapi.DefaultStaffTokenTTL + time.Second)
		f.do("GET", "/api/v1/auth/me", nil, bearer(clerk)).wantProblem(t, http.StatusUnauthorized, "token_expired")
	})
}

// TestStaffDeactivationEndsSessions: a deactivated account's token and
// Basic login stop working.
func TestStaffDeactivationEndsSessions(t *testing.T) {
	f := newFixture(t)
	tok := f.login("clerk", "clerk")
	f.do("GET", "/api/v1/auth/me", nil, bearer(tok)).want(t, http.StatusOK, nil)
	f.do("PATCH", "/api/v1/staff/clerk", map[string]any{"active": false}, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("PATCH", "/api/v1/staff/clerk", map[string]any{"active": false}).want(t, http.StatusOK, nil)
	f.do("GET", "/api/v1/auth/me", nil, bearer(tok)).wantProblem(t, http.StatusUnauthorized, "session_revoked")
	f.do("GET", "/api/v1/auth/me", nil, asClerk).wantProblem(t, http.StatusUnauthorized, "bad_credentials")
	f.do("POST", "/api/v1/auth/login", map[string]string{"username": "clerk", "password": "clerk"}, asAnon).
		wantProblem(t, http.StatusUnauthorized, "bad_credentials")

	// Deactivated on another node: the change arrives by replication, and
	// this node refuses the token once its short account cache expires.
	super := f.login("super", "super")
	f.do("GET", "/api/v1/auth/me", nil, bearer(super)).want(t, http.StatusOK, nil)
	_, err := f.svc.SetStaffActive(f.admin, "super", false)
	must(t, err)
	f.clock.Advance(time.Minute)
	f.do("GET", "/api/v1/auth/me", nil, bearer(super)).wantProblem(t, http.StatusUnauthorized, "session_revoked")
	f.do("PATCH", "/api/v1/staff/super", map[string]any{"active": true}).want(t, http.StatusOK, nil)
	f.do("GET", "/api/v1/auth/me", nil, bearer(super)).want(t, http.StatusOK, nil)
}

func TestAuditRecords(t *testing.T) {
	f := newFixture(t)
	alice := f.patrons["Alice"]
	f.do("GET", "/api/v1/patrons/"+alice.PatronID, nil, asClerk).want(t, http.StatusOK, nil)
	f.do("GET", "/api/v1/patrons/"+alice.PatronID+"/account", nil, asClerk, header("X-Stacks-Channel", "kiosk")).want(t, http.StatusOK, nil)
	f.checkout(card(alice), "B0001", asClerk)
	f.do("GET", "/api/v1/patrons/"+alice.PatronID, nil, asAnon).wantProblem(t, http.StatusUnauthorized, "login_required")
	f.do("GET", "/api/v1/patrons/"+alice.PatronID, nil, asCentralIT).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", "/api/v1/items", nil, asClerk).want(t, http.StatusOK, nil) // not personal: not audited

	type entry struct {
		Actor, Channel, Action, Resource, Outcome string
		PatronID                                  string `json:"patron_id"`
		ItemID                                    string `json:"item_id"`
	}
	var es []entry
	f.do("GET", "/api/v1/audit?patron_id="+alice.PatronID, nil, asCentralIT).want(t, http.StatusOK, &es)
	if len(es) != 4 {
		t.Fatalf("%d entries for Alice: %+v", len(es), es)
	}
	// Newest first.
	want := []entry{
		{Actor: "centralit", Channel: "api", Action: "GET /api/v1/patrons/{id}", Outcome: "403"},
		{Actor: "clerk", Channel: "desk", Action: "POST /api/v1/checkouts", Outcome: "201", ItemID: f.items["B0001"].ItemID},
		{Actor: "clerk", Channel: "kiosk", Action: "GET /api/v1/patrons/{id}/account", Outcome: "200"},
		{Actor: "clerk", Channel: "desk", Action: "GET /api/v1/patrons/{id}", Outcome: "200", Resource: "/api/v1/patrons/" + alice.PatronID},
	}
	for i, w := range want {
		g := es[i]
		if g.Actor != w.Actor || g.Channel != w.Channel || g.Action != w.Action || g.Outcome != w.Outcome || g.PatronID != alice.PatronID ||
			(w.ItemID != "" && g.ItemID != w.ItemID) || (w.Resource != "" && g.Resource != w.Resource) {
			t.Errorf("entry %d: %+v, want %+v", i, g, w)
		}
	}
	f.do("GET", "/api/v1/audit?actor=clerk&_per_page=2", nil).want(t, http.StatusOK, &es)
	if len(es) != 2 {
		t.Errorf("actor filter and paging: %+v", es)
	}
	f.do("GET", "/api/v1/audit?from=2025-03-04", nil).want(t, http.StatusOK, &es)
	if len(es) != 0 {
		t.Errorf("from tomorrow: %+v", es)
	}
	f.do("GET", "/api/v1/audit?to=2025-03-04&from=2025-03-03", nil).want(t, http.StatusOK, &es)
	if len(es) < 4 {
		t.Errorf("today: %+v", es)
	}
	f.do("GET", "/api/v1/audit?from=yesterday", nil).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("GET", "/api/v1/audit", nil, asSuper).wantProblem(t, http.StatusForbidden, "not_permitted")
}

// TestNoSecretsLogged: PINs, passwords and tokens never reach the logs or
// the op log.
func TestNoSecretsLogged(t *testing.T) {
	f := newFixture(t)
	pin, pass := "8642", "tr0ub4dor&3"
	r := f.do("POST", "/api/v1/patrons", map[string]any{"cardnumber": "29990000000001", "surname": "Secret", "category_id": "ADULT", "pin": pin})
	r.want(t, http.StatusCreated, nil)
	f.do("PUT", "/api/v1/staff/sec", map[string]any{"role": "circulation", "password": pass}).want(t, http.StatusOK, nil)
	tok := f.login("sec", pass)
	f.do("GET", "/api/v1/auth/me", nil, bearer(tok)).want(t, http.StatusOK, nil)
	f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": "29990000000001", "pin": "0000"}, asAnon).
		wantProblem(t, http.StatusUnauthorized, "bad_credentials")
	var pl struct{ Token string }
	f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": "29990000000001", "pin": pin}, asAnon).want(t, http.StatusOK, &pl)
	ops, err := f.svc.Log().AllOps(t.Context())
	must(t, err)
	var all strings.Builder
	for _, op := range ops {
		all.Write(op.Payload)
		all.WriteString(op.Actor)
	}
	logs, oplog := f.logs.String(), all.String()
	// The PIN is short enough to occur inside a random ID: look for it as
	// a value.
	for _, secret := range []string{`"` + pin + `"`, "=" + pin, `"0000"`, "=0000", pass, tok, pl.Token} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold a secret %q", secret)
		}
		if strings.Contains(oplog, secret) {
			t.Errorf("the op log holds a secret %q", secret)
		}
	}
	if !strings.Contains(all.String(), `"pin_hash":"$2a$`) {
		t.Error("the PIN is not stored as a bcrypt hash")
	}
}
