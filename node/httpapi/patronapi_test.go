package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/node/apitype"
)

// patronToken logs a patron in through the API and returns their token.
func (f *fixture) patronToken(p *domain.Patron) string {
	f.tb.Helper()
	var s struct {
		Token string `json:"token"`
	}
	f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": p.Cardnumber, "pin": "1234"}, asAnon).want(f.tb, http.StatusOK, &s)
	return s.Token
}

// patronAPIEnv: Alice with a loan, a hold and a charge; Bob with the same.
type patronAPIEnv struct {
	alice, bob         *domain.Patron
	aliceTok, bobTok   string
	aliceLoan, bobLoan string
	aliceHold, bobHold string
}

func newPatronAPIEnv(t *testing.T, f *fixture) patronAPIEnv {
	t.Helper()
	e := patronAPIEnv{alice: f.patrons["Alice"], bob: f.patrons["Bob"]}
	e.aliceLoan = f.checkout(card(e.alice), "B0001").CheckoutID
	e.bobLoan = f.checkout(card(e.bob), "D0001").CheckoutID
	var h struct {
		HoldID string `json:"hold_id"`
	}
	f.do("POST", "/api/v1/holds", map[string]any{"patron_id": e.alice.PatronID, "biblio_id": f.biblios["Dune"].BiblioID, "pickup_library_id": "MAIN"}).
		want(t, http.StatusCreated, &h)
	e.aliceHold = h.HoldID
	f.do("POST", "/api/v1/holds", map[string]any{"patron_id": e.bob.PatronID, "biblio_id": f.biblios["Alien"].BiblioID, "pickup_library_id": "MAIN"}).
		want(t, http.StatusCreated, &h)
	e.bobHold = h.HoldID
	for _, p := range []*domain.Patron{e.alice, e.bob} {
		f.do("POST", "/api/v1/patrons/"+p.PatronID+"/account/charges", map[string]any{"amount_cents": 250, "description": "lost card"}).
			want(t, http.StatusCreated, nil)
	}
	e.aliceTok, e.bobTok = f.patronToken(e.alice), f.patronToken(e.bob)
	return e
}

func TestPatronAPIAccountShape(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	var raw map[string]json.RawMessage
	f.do("GET", "/api/v1/patron/account", nil, bearer(e.aliceTok)).want(t, http.StatusOK, &raw)
	for _, k := range []string{"totalCharges", "totalChargesCount", "totalLoans", "totalHolds", "loans", "holds", "charges"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("account lacks FOLIO's %q: %v", k, raw)
		}
	}
	var acct apitype.PatronAccount
	f.do("GET", "/api/v1/patron/account", nil, bearer(e.aliceTok)).want(t, http.StatusOK, &acct)
	if acct.ID != e.alice.PatronID || acct.TotalLoans != 1 || acct.TotalHolds != 1 || acct.TotalChargesCount != 1 ||
		acct.TotalCharges.Cents != 250 || acct.TotalCharges.Amount != 2.5 || acct.TotalCharges.Currency != "EUR" {
		t.Errorf("account: %+v", acct)
	}
	if acct.Loans[0].LoanID != e.aliceLoan || acct.Holds[0].HoldID != e.aliceHold {
		t.Errorf("account lists another's loans or holds: %+v", acct)
	}
}

// TestPatronAPIOnlyOwnData: a patron's token never reaches another
// patron's loans or holds through the patron API (404, and nothing
// changes), a staff login is refused it, and anonymous callers get 401.
func TestPatronAPIOnlyOwnData(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	before := f.stateHash()
	as := bearer(e.aliceTok)
	f.do("POST", "/api/v1/patron/checkouts/"+e.bobLoan+"/renewal", nil, as).wantProblem(t, http.StatusNotFound, "not_found")
	f.do("POST", "/api/v1/patron/checkouts/renewal", map[string]any{"checkout_ids": []string{e.bobLoan}}, as).wantProblem(t, http.StatusNotFound, "not_found")
	f.do("DELETE", "/api/v1/patron/holds/"+e.bobHold, nil, as).wantProblem(t, http.StatusNotFound, "not_found")
	f.do("PATCH", "/api/v1/patron/holds/"+e.bobHold, map[string]any{"suspended_until": "2031-01-01"}, as).wantProblem(t, http.StatusNotFound, "not_found")
	f.do("PATCH", "/api/v1/patron/holds/"+e.bobHold, map[string]any{"pickup_library_id": "EAST"}, as).wantProblem(t, http.StatusNotFound, "not_found")
	if after := f.stateHash(); after != before {
		t.Error("a refused request changed state")
	}
	// Lists hold only her own.
	var loans []domain.Loan
	f.do("GET", "/api/v1/patron/checkouts", nil, as).want(t, http.StatusOK, &loans)
	var holds []domain.Hold
	f.do("GET", "/api/v1/patron/holds", nil, as).want(t, http.StatusOK, &holds)
	var charges []domain.FeeLine
	f.do("GET", "/api/v1/patron/charges", nil, as).want(t, http.StatusOK, &charges)
	for _, l := range loans {
		if l.PatronID != e.alice.PatronID {
			t.Errorf("Alice sees loan %+v", l)
		}
	}
	for _, h := range holds {
		if h.PatronID != e.alice.PatronID {
			t.Errorf("Alice sees hold %+v", h)
		}
	}
	for _, c := range charges {
		if c.PatronID != e.alice.PatronID {
			t.Errorf("Alice sees charge %+v", c)
		}
	}
	if len(loans) != 1 || len(holds) != 1 || len(charges) != 1 {
		t.Errorf("Alice's lists: %d loans, %d holds, %d charges", len(loans), len(holds), len(charges))
	}
	// A hold placed through the API is always the caller's, whatever the body says.
	f.do("POST", "/api/v1/patron/holds", map[string]any{"patron_id": e.bob.PatronID, "biblio_id": f.biblios["Alien"].BiblioID, "pickup_library_id": "MAIN"}, as).
		wantProblem(t, http.StatusBadRequest, "bad_json")
	// Staff and anonymous callers may not use the patron API.
	f.do("GET", "/api/v1/patron/account", nil, asAdmin).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", "/api/v1/patron/account", nil, asAnon).wantProblem(t, http.StatusUnauthorized, "login_required")
}

// TestPatronAPIChannelApp: the patron API's ops name channel app and the
// patron as actor.
func TestPatronAPIChannelApp(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	f.do("POST", "/api/v1/patron/checkouts/"+e.aliceLoan+"/renewal", nil, bearer(e.aliceTok)).want(t, http.StatusCreated, nil)
	ops, err := f.svc.Log().AllOps(context.Background())
	must(t, err)
	found := false
	for _, op := range ops {
		if op.Kind == branch.KindRenew {
			found = true
			if op.Channel != "app" || op.Actor != "patron:"+e.alice.PatronID {
				t.Errorf("renewal op: channel %q actor %q", op.Channel, op.Actor)
			}
		}
	}
	if !found {
		t.Fatal("no renewal op")
	}
}

// TestVuFindMapping: each call VuFind's ILS drivers make, through the
// route the README maps it to.
func TestVuFindMapping(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	as := bearer(e.aliceTok)
	hobbit := f.biblios["The Hobbit"].BiblioID
	tests := []struct {
		method string
		run    func(t *testing.T)
	}{
		{"getStatuses", func(t *testing.T) {
			var a domain.Availability
			f.do("GET", "/api/v1/biblios/"+hobbit+"/availability", nil, asAnon).want(t, http.StatusOK, &a)
			if a.Total != 2 || len(a.Items) != 2 {
				t.Errorf("availability: %+v", a)
			}
		}},
		{"getHolding", func(t *testing.T) {
			var items []domain.Item
			f.do("GET", "/api/v1/biblios/"+hobbit+"/items", nil, asAnon).want(t, http.StatusOK, &items)
			if len(items) != 2 || items[0].Barcode == "" {
				t.Errorf("items: %+v", items)
			}
		}},
		{"patronLogin", func(t *testing.T) {
			var s apitype.PatronSession
			f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": e.alice.Cardnumber, "pin": "1234"}, asAnon).want(t, http.StatusOK, &s)
			if s.Token == "" || s.Patron.PatronID != e.alice.PatronID {
				t.Errorf("login: %+v", s)
			}
			f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": e.alice.Cardnumber, "pin": "9999"}, asAnon).wantProblem(t, http.StatusUnauthorized, "bad_credentials")
		}},
		{"getMyProfile", func(t *testing.T) {
			var p domain.Patron
			f.do("GET", "/api/v1/patron/profile", nil, as).want(t, http.StatusOK, &p)
			if p.PatronID != e.alice.PatronID || p.Email != "alice@example.org" {
				t.Errorf("profile: %+v", p)
			}
		}},
		{"getMyTransactions", func(t *testing.T) {
			var ls []domain.Loan
			f.do("GET", "/api/v1/patron/checkouts", nil, as).want(t, http.StatusOK, &ls)
			if len(ls) != 1 || ls[0].LoanID != e.aliceLoan || ls[0].DueDate == "" {
				t.Errorf("loans: %+v", ls)
			}
		}},
		{"getMyHolds", func(t *testing.T) {
			var hs []domain.Hold
			f.do("GET", "/api/v1/patron/holds", nil, as).want(t, http.StatusOK, &hs)
			if len(hs) != 1 || hs[0].HoldID != e.aliceHold {
				t.Errorf("holds: %+v", hs)
			}
		}},
		{"getMyFines", func(t *testing.T) {
			var cs []domain.FeeLine
			f.do("GET", "/api/v1/patron/charges", nil, as).want(t, http.StatusOK, &cs)
			if len(cs) != 1 || cs[0].Outstanding != 250 {
				t.Errorf("fines: %+v", cs)
			}
		}},
		{"renewMyItems", func(t *testing.T) {
			var rs []apitype.PatronRenewal
			f.do("POST", "/api/v1/patron/checkouts/renewal", map[string]any{"checkout_ids": []string{e.aliceLoan}}, as).want(t, http.StatusOK, &rs)
			if len(rs) != 1 || !rs[0].Renewed || rs[0].Checkout.Renewals != 1 {
				t.Errorf("renewal: %+v", rs)
			}
		}},
		{"getMyTransactionHistory", func(t *testing.T) {
			f.do("PUT", "/api/v1/patron/reading_history", map[string]any{"enabled": true}, as).want(t, http.StatusOK, nil)
			f.clock.Advance(time.Minute)
			f.do("POST", "/api/v1/checkins", map[string]any{"barcode": "B0001"}).want(t, http.StatusOK, nil)
			var h domain.ReadingHistory
			f.do("GET", "/api/v1/patron/reading_history", nil, as).want(t, http.StatusOK, &h)
			if !h.Enabled || len(h.Entries) != 1 || h.Entries[0].Title != "The Hobbit" {
				t.Errorf("history: %+v", h)
			}
			f.checkout(card(e.alice), "B0001")
		}},
		{"getPickUpLocations", func(t *testing.T) {
			var ls []apitype.PickupLocation
			f.do("GET", "/api/v1/patron/pickup_locations", nil, as).want(t, http.StatusOK, &ls)
			if len(ls) < 2 || ls[0].LibraryID == "" || ls[0].Name == "" {
				t.Errorf("pickup locations: %+v", ls)
			}
		}},
		{"placeHold", func(t *testing.T) {
			var h domain.Hold
			r := f.do("POST", "/api/v1/patron/holds", map[string]any{"biblio_id": f.biblios["Alien"].BiblioID, "pickup_library_id": "EAST"}, as)
			r.want(t, http.StatusCreated, &h)
			if h.PatronID != e.alice.PatronID || h.PickupBranch != "EAST" || r.header.Get("Location") != "/api/v1/patron/holds/"+h.HoldID {
				t.Errorf("hold: %+v %v", h, r.header)
			}
		}},
		{"updateHolds", func(t *testing.T) {
			var h domain.Hold
			f.do("PATCH", "/api/v1/patron/holds/"+e.aliceHold, map[string]any{"suspended_until": "2031-01-01", "pickup_library_id": "EAST"}, as).want(t, http.StatusOK, &h)
			if h.SuspendedUntil != "2031-01-01" || h.PickupBranch != "EAST" {
				t.Errorf("suspended: %+v", h)
			}
			var h2 domain.Hold
			f.do("PATCH", "/api/v1/patron/holds/"+e.aliceHold, map[string]any{"suspended_until": ""}, as).want(t, http.StatusOK, &h2)
			if h2.SuspendedUntil != "" || h2.HoldID != e.aliceHold {
				t.Errorf("resumed: %+v", h2)
			}
			f.do("PATCH", "/api/v1/patron/holds/"+e.aliceHold, map[string]any{"suspended_until": "1999-01-01"}, as).wantProblem(t, http.StatusBadRequest, "invalid")
			f.do("PATCH", "/api/v1/patron/holds/"+e.aliceHold, map[string]any{}, as).wantProblem(t, http.StatusBadRequest, "invalid")
		}},
		{"cancelHolds", func(t *testing.T) {
			var h domain.Hold
			f.do("DELETE", "/api/v1/patron/holds/"+e.aliceHold, nil, as).want(t, http.StatusOK, &h)
			if h.Status != domain.HoldCancelled {
				t.Errorf("cancelled: %+v", h)
			}
			f.do("DELETE", "/api/v1/patron/holds/"+e.aliceHold, nil, as).wantProblem(t, http.StatusNotFound, "not_found")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.method, tc.run)
	}
}

// TestPatronAPIPrefs: reading history off by default, on, exported as CSV,
// deleted; messaging preferences read and set, bad ones refused; Bob's
// choices are his own.
func TestPatronAPIPrefs(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	as, asBob := bearer(e.aliceTok), bearer(e.bobTok)
	var h domain.ReadingHistory
	f.do("GET", "/api/v1/patron/reading_history", nil, as).want(t, http.StatusOK, &h)
	if h.Enabled || len(h.Entries) != 0 {
		t.Fatalf("history on by default: %+v", h)
	}
	f.do("PUT", "/api/v1/patron/reading_history", map[string]any{}, as).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("PUT", "/api/v1/patron/reading_history", map[string]any{"enabled": true}, as).want(t, http.StatusOK, &h)
	if !h.Enabled {
		t.Fatalf("not turned on: %+v", h)
	}
	f.clock.Advance(time.Minute)
	f.do("POST", "/api/v1/checkins", map[string]any{"barcode": "B0001"}).want(t, http.StatusOK, nil)
	f.do("POST", "/api/v1/checkins", map[string]any{"barcode": "D0001"}).want(t, http.StatusOK, nil)
	r := f.do("GET", "/api/v1/patron/reading_history?format=csv", nil, as)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(string(r.body), "The Hobbit") || strings.Contains(string(r.body), "Dune") {
		t.Errorf("csv: %d %v\n%s", r.status, r.header, r.body)
	}
	f.do("GET", "/api/v1/patron/reading_history", nil, asBob).want(t, http.StatusOK, &h)
	if h.Enabled || len(h.Entries) != 0 {
		t.Errorf("Bob sees a history: %+v", h)
	}
	f.do("GET", "/api/v1/patron/reading_history?format=xml", nil, as).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("DELETE", "/api/v1/patron/reading_history", nil, as).want(t, http.StatusNoContent, nil)
	f.do("GET", "/api/v1/patron/reading_history", nil, as).want(t, http.StatusOK, &h)
	if !h.Enabled || len(h.Entries) != 0 {
		t.Errorf("after delete: %+v", h)
	}

	var m domain.MessagingPrefs
	f.do("GET", "/api/v1/patron/messaging_preferences", nil, as).want(t, http.StatusOK, &m)
	if m.Channel != "email" || m.DaysInAdvance != 3 {
		t.Errorf("defaults: %+v", m)
	}
	f.do("PUT", "/api/v1/patron/messaging_preferences", map[string]any{"channel": "fax", "notices": []string{}}, as).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("PUT", "/api/v1/patron/messaging_preferences", map[string]any{"channel": "email", "digest": true, "days_in_advance": 5,
		"notices": []string{"overdue"}}, as).want(t, http.StatusOK, &m)
	f.do("GET", "/api/v1/patron/messaging_preferences", nil, as).want(t, http.StatusOK, &m)
	if !m.Digest || m.DaysInAdvance != 5 || len(m.Notices) != 1 {
		t.Errorf("set: %+v", m)
	}
	f.do("GET", "/api/v1/patron/messaging_preferences", nil, asBob).want(t, http.StatusOK, &m)
	if m.Digest || m.DaysInAdvance != 3 {
		t.Errorf("Bob has Alice's choices: %+v", m)
	}
}
