package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"stacks/branch/domain"
)

func TestCheckout(t *testing.T) {
	f := newFixture(t)
	alice, bob, dave := f.patrons["Alice"], f.patrons["Bob"], f.patrons["Dave"]
	t.Run("OK", func(t *testing.T) {
		r := f.do("POST", "/api/v1/checkouts", map[string]any{"cardnumber": alice.Cardnumber, "barcode": "B0001"})
		var l loanJSON
		r.want(t, http.StatusCreated, &l)
		if l.CheckoutID == "" || l.DueDate != "2025-03-24" || l.ItemID != f.items["B0001"].ItemID || l.PatronID != alice.PatronID ||
			l.Barcode != "B0001" || l.Title != "The Hobbit" || l.Cardnumber != alice.Cardnumber || l.Overridden != nil || l.HoldFilled != "" {
			t.Errorf("checkout %s", r.body)
		}
		if got := r.header.Get("Location"); got != "/api/v1/checkouts/"+l.CheckoutID {
			t.Errorf("Location %q", got)
		}
		// The flat contract: these keys at the top level.
		var flat map[string]any
		must(t, json.Unmarshal(r.body, &flat))
		for _, k := range []string{"checkout_id", "due_date", "item_id", "patron_id", "barcode", "title"} {
			if _, ok := flat[k]; !ok {
				t.Errorf("checkout lacks %q: %s", k, r.body)
			}
		}
		var got loanJSON
		f.do("GET", "/api/v1/checkouts/"+l.CheckoutID, nil).want(t, http.StatusOK, &got)
		if got.CheckoutID != l.CheckoutID || got.DueDate != l.DueDate {
			t.Errorf("GET checkout %+v", got)
		}
	})
	t.Run("OKByIDs", func(t *testing.T) {
		var l loanJSON
		f.do("POST", "/api/v1/checkouts", map[string]any{"patron_id": bob.PatronID, "item_id": f.items["V0001"].ItemID}).
			want(t, http.StatusCreated, &l)
		if l.DueDate != "2025-03-10" || l.Barcode != "V0001" {
			t.Errorf("DVD checkout %+v, want due in 7 days", l)
		}
	})
	refused := []struct {
		name        string
		body        map[string]any
		opts        []reqOpt
		status      int
		code        string
		overridable bool
	}{
		{"ErrPatronBlocked", map[string]any{"cardnumber": dave.Cardnumber, "barcode": "B0002"}, nil, http.StatusForbidden, "patron_blocked", true},
		{"ErrOverrideByClerk", map[string]any{"cardnumber": dave.Cardnumber, "barcode": "B0002", "override": map[string]string{"reason": "ok"}},
			[]reqOpt{asClerk}, http.StatusForbidden, "override_not_permitted", false},
		{"ErrOverrideNoReason", map[string]any{"cardnumber": dave.Cardnumber, "barcode": "B0002", "override": map[string]string{}},
			[]reqOpt{asAdmin}, http.StatusBadRequest, "override_reason_required", false},
		{"ErrNotLoanable", map[string]any{"cardnumber": alice.Cardnumber, "barcode": "R0001"}, nil, http.StatusForbidden, "not_loanable", true},
		{"ErrCheckedOutToOther", map[string]any{"cardnumber": bob.Cardnumber, "barcode": "B0001"}, nil, http.StatusConflict, "item_checked_out", false},
		{"ErrAlreadyMine", map[string]any{"cardnumber": alice.Cardnumber, "barcode": "B0001"}, nil, http.StatusConflict, "already_checked_out", false},
		{"ErrUnknownBarcode", map[string]any{"cardnumber": alice.Cardnumber, "barcode": "NOSUCH"}, nil, http.StatusNotFound, "item_not_found", false},
		{"ErrBadBarcode", map[string]any{"cardnumber": alice.Cardnumber, "barcode": "B 0002"}, nil, http.StatusBadRequest, "bad_barcode", false},
		{"ErrUnknownCard", map[string]any{"cardnumber": "999", "barcode": "B0002"}, nil, http.StatusNotFound, "patron_not_found", false},
		{"ErrNoPatron", map[string]any{"barcode": "B0002"}, nil, http.StatusBadRequest, "invalid", false},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := f.stateHash()
			p := f.do("POST", "/api/v1/checkouts", tt.body, tt.opts...).wantProblem(t, tt.status, tt.code)
			if p.Overridable != tt.overridable {
				t.Errorf("overridable %v, want %v", p.Overridable, tt.overridable)
			}
			if after := f.stateHash(); after != before {
				t.Error("a refused checkout changed state")
			}
		})
	}
	t.Run("OverrideByAdmin", func(t *testing.T) {
		var l loanJSON
		f.do("POST", "/api/v1/checkouts", map[string]any{"cardnumber": dave.Cardnumber, "barcode": "B0002",
			"override": map[string]string{"reason": "manager approved"}}, asAdmin).want(t, http.StatusCreated, &l)
		if !slices.Equal(l.Overridden, []string{"patron_blocked"}) {
			t.Errorf("overridden %v", l.Overridden)
		}
	})
	t.Run("ListOpen", func(t *testing.T) {
		var ls []loanJSON
		r := f.do("GET", "/api/v1/checkouts?patron_id="+alice.PatronID, nil)
		r.want(t, http.StatusOK, &ls)
		if len(ls) != 1 || ls[0].Barcode != "B0001" || r.header.Get("X-Total-Count") != "1" {
			t.Errorf("open loans %s", r.body)
		}
		f.do("GET", "/api/v1/checkouts", nil).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("GET", "/api/v1/checkouts?patron_id=nobody", nil).wantProblem(t, http.StatusNotFound, "patron_not_found")
	})
}

func TestRenewAndCheckin(t *testing.T) {
	f := newFixture(t)
	alice := f.patrons["Alice"]
	l := f.checkout(alice.Cardnumber, "B0001")
	var rn loanJSON
	t.Run("RenewByID", func(t *testing.T) {
		r := f.do("POST", "/api/v1/checkouts/"+l.CheckoutID+"/renewal", nil)
		r.want(t, http.StatusCreated, &rn)
		if rn.CheckoutID != l.CheckoutID || rn.Renewals != 1 || rn.DueDate != "2025-04-14" || rn.FineCents == nil || *rn.FineCents != 0 {
			t.Errorf("renewal %s", r.body)
		}
	})
	t.Run("RenewByBarcode", func(t *testing.T) {
		f.do("POST", "/api/v1/checkouts/renewal", map[string]string{"barcode": "B0001"}).want(t, http.StatusCreated, &rn)
		if rn.Renewals != 2 || rn.DueDate != "2025-05-05" {
			t.Errorf("renewal by barcode %+v", rn)
		}
		r := f.do("POST", "/api/v1/checkouts/renewal", map[string]string{"barcode": "B0001"})
		if p := r.wantProblem(t, http.StatusForbidden, "renewals_exhausted"); !p.Overridable {
			t.Error("renewals_exhausted not overridable")
		}
		f.do("POST", "/api/v1/checkouts/"+l.CheckoutID+"/renewal", map[string]any{"override": map[string]string{"reason": "exam"}}, asAdmin).
			want(t, http.StatusCreated, &rn)
		if rn.Renewals != 3 || !slices.Equal(rn.Overridden, []string{"renewals_exhausted"}) {
			t.Errorf("overridden renewal %+v", rn)
		}
		f.do("POST", "/api/v1/checkouts/renewal", map[string]string{}).wantProblem(t, http.StatusBadRequest, "invalid")
		f.do("POST", "/api/v1/checkouts/renewal", map[string]string{"barcode": "B0002"}).wantProblem(t, http.StatusNotFound, "checkout_not_found")
	})
	t.Run("CheckinLate", func(t *testing.T) {
		// Due 2025-05-26 after three renewals; return four days late.
		f.clock.Advance(time.Date(2025, 5, 30, 12, 0, 0, 0, time.UTC).Sub(f.clock.Now()))
		var res struct {
			Action    string       `json:"action"`
			FineCents int64        `json:"fine_cents"`
			DaysLate  int          `json:"days_late"`
			Messages  []string     `json:"messages"`
			Checkout  *loanJSON    `json:"checkout"`
			Item      *domain.Item `json:"item"`
		}
		r := f.do("POST", "/api/v1/checkins", map[string]string{"barcode": "B0001"})
		r.want(t, http.StatusOK, &res)
		if res.Action != "shelve" || res.DaysLate != 4 || res.FineCents != 100 || res.Checkout == nil || res.Checkout.CheckinDate == "" ||
			res.Item.Status != "available" || len(res.Messages) == 0 {
			t.Errorf("checkin %s", r.body)
		}
		if !bytes.Contains(r.body, []byte(`"messages":[`)) || bytes.Contains(r.body, []byte(`"Messages"`)) {
			t.Errorf("checkin messages not under \"messages\" alone: %s", r.body)
		}
		var acct domain.Account
		f.do("GET", "/api/v1/fees?patron_id="+alice.PatronID, nil).want(t, http.StatusOK, &acct)
		if acct.BalanceCents != 100 {
			t.Errorf("balance %d after a late return", acct.BalanceCents)
		}
		var ls []loanJSON
		f.do("GET", "/api/v1/patrons/"+alice.PatronID+"/checkouts?history=true", nil).want(t, http.StatusOK, &ls)
		if len(ls) != 1 || ls[0].CheckinDate == "" {
			t.Errorf("history %+v", ls)
		}
	})
	t.Run("CheckinNotOnLoan", func(t *testing.T) {
		var res struct {
			Action   string   `json:"action"`
			Messages []string `json:"messages"`
		}
		f.do("POST", "/api/v1/checkins", map[string]string{"item_id": f.items["B0002"].ItemID}).want(t, http.StatusOK, &res)
		if res.Action != "shelve" || len(res.Messages) != 1 {
			t.Errorf("checkin of a shelved item %+v", res)
		}
		f.do("POST", "/api/v1/checkins", map[string]string{"barcode": "NOSUCH"}).wantProblem(t, http.StatusNotFound, "item_not_found")
		f.do("POST", "/api/v1/checkins", map[string]string{}).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	t.Run("CheckinTransit", func(t *testing.T) {
		carol := f.patrons["Carol"]
		var it domain.Item
		f.do("POST", "/api/v1/items", map[string]any{"barcode": "E0001", "biblio_id": f.biblios["Dune"].BiblioID, "item_type_id": "BOOK",
			"home_library_id": "EAST"}).want(t, http.StatusCreated, &it)
		f.checkout(carol.Cardnumber, "E0001")
		var res struct {
			Action    string `json:"action"`
			TransitTo string `json:"transit_to"`
		}
		f.do("POST", "/api/v1/checkins", map[string]string{"barcode": "E0001"}).want(t, http.StatusOK, &res)
		if res.Action != "transit" || res.TransitTo != "EAST" {
			t.Errorf("checkin of an EAST item at MAIN %+v", res)
		}
	})
}

func TestHolds(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.patrons["Alice"], f.patrons["Bob"]
	dune := f.biblios["Dune"]
	f.checkout(alice.Cardnumber, "D0001")
	var h domain.Hold
	t.Run("Place", func(t *testing.T) {
		r := f.do("POST", "/api/v1/holds", map[string]any{"cardnumber": bob.Cardnumber, "biblio_id": dune.BiblioID})
		r.want(t, http.StatusCreated, &h)
		if h.HoldID == "" || h.Status != "waiting" || h.Priority != 1 || h.PickupBranch != "MAIN" || r.header.Get("Location") != "/api/v1/holds/"+h.HoldID {
			t.Errorf("hold %s", r.body)
		}
		f.do("POST", "/api/v1/holds", map[string]any{"cardnumber": bob.Cardnumber, "biblio_id": dune.BiblioID}).
			wantProblem(t, http.StatusConflict, "duplicate_hold")
		p := f.do("POST", "/api/v1/holds", map[string]any{"patron_id": alice.PatronID, "biblio_id": dune.BiblioID}).
			wantProblem(t, http.StatusForbidden, "already_on_loan")
		if !p.Overridable {
			t.Error("already_on_loan not overridable")
		}
		f.do("POST", "/api/v1/holds", map[string]any{"patron_id": alice.PatronID, "biblio_id": f.biblios["World Atlas"].BiblioID}).
			wantProblem(t, http.StatusForbidden, "hold_not_allowed")
	})
	t.Run("Queue", func(t *testing.T) {
		var hs []domain.Hold
		f.do("GET", "/api/v1/biblios/"+dune.BiblioID+"/holds", nil).want(t, http.StatusOK, &hs)
		if len(hs) != 1 || hs[0].HoldID != h.HoldID {
			t.Errorf("queue %+v", hs)
		}
		f.do("GET", "/api/v1/holds?patron_id="+bob.PatronID, nil).want(t, http.StatusOK, &hs)
		if len(hs) != 1 || hs[0].HoldID != h.HoldID {
			t.Errorf("bob's holds %+v", hs)
		}
		f.do("GET", "/api/v1/holds?biblio_id="+dune.BiblioID, nil).want(t, http.StatusOK, &hs)
		if len(hs) != 1 {
			t.Errorf("holds by biblio %+v", hs)
		}
		f.do("GET", "/api/v1/holds", nil).wantProblem(t, http.StatusBadRequest, "invalid")
	})
	t.Run("RenewalBlocked", func(t *testing.T) {
		f.do("POST", "/api/v1/checkouts/renewal", map[string]string{"barcode": "D0001"}).
			wantProblem(t, http.StatusForbidden, "renewal_blocked_by_hold")
	})
	t.Run("CheckinTraps", func(t *testing.T) {
		var res struct {
			Action string       `json:"action"`
			Hold   *domain.Hold `json:"hold"`
		}
		f.do("POST", "/api/v1/checkins", map[string]string{"barcode": "D0001"}).want(t, http.StatusOK, &res)
		if res.Action != "hold_shelf" || res.Hold == nil || res.Hold.HoldID != h.HoldID || res.Hold.Status != "ready" {
			t.Errorf("checkin %+v", res)
		}
		// The shelf names its patrons as it shows them, with their cards,
		// and reading it is one audit op: no client reads a patron per row.
		before := f.opCount()
		var shelf domain.HoldShelf
		f.do("GET", "/api/v1/holds/shelf", nil).want(t, http.StatusOK, &shelf)
		if len(shelf.Ready) != 1 || shelf.Ready[0].HoldID != h.HoldID {
			t.Errorf("shelf %+v", shelf)
		} else if r := shelf.Ready[0]; r.ShelfName != "Baker, B." || r.Cardnumber != bob.Cardnumber {
			t.Errorf("shelf row names %q (%q)", r.ShelfName, r.Cardnumber)
		}
		if n := f.opCount() - before; n != 1 {
			t.Errorf("reading the shelf wrote %d ops, want 1 (its audit record)", n)
		}
		p := f.do("POST", "/api/v1/checkouts", map[string]string{"cardnumber": alice.Cardnumber, "barcode": "D0001"}).
			wantProblem(t, http.StatusForbidden, "item_on_hold")
		if !p.Overridable {
			t.Error("item_on_hold not overridable")
		}
		l := f.checkout(bob.Cardnumber, "D0001")
		if l.HoldFilled != h.HoldID {
			t.Errorf("checkout to the holder: hold_filled %q, want %q", l.HoldFilled, h.HoldID)
		}
		var got domain.Hold
		f.do("GET", "/api/v1/holds/"+h.HoldID, nil).want(t, http.StatusOK, &got)
		if got.Status != "fulfilled" {
			t.Errorf("hold after pickup %+v", got)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		var h2 domain.Hold
		f.do("POST", "/api/v1/holds", map[string]any{"cardnumber": alice.Cardnumber, "biblio_id": f.biblios["The Hobbit"].BiblioID,
			"pickup_library_id": "EAST"}).want(t, http.StatusCreated, &h2)
		var got domain.Hold
		f.do("DELETE", "/api/v1/holds/"+h2.HoldID+"?reason=changed+mind", nil).want(t, http.StatusOK, &got)
		if got.Status != "cancelled" {
			t.Errorf("cancelled hold %+v", got)
		}
		f.do("DELETE", "/api/v1/holds/"+h2.HoldID, nil).wantProblem(t, http.StatusConflict, "hold_not_active")
	})
	t.Run("Expire", func(t *testing.T) {
		var h3 domain.Hold
		f.do("POST", "/api/v1/holds", map[string]any{"cardnumber": alice.Cardnumber, "biblio_id": f.biblios["Alien"].BiblioID}).
			want(t, http.StatusCreated, &h3)
		f.do("POST", "/api/v1/checkins", map[string]string{"barcode": "V0001"}).want(t, http.StatusOK, nil)
		var hs []domain.Hold
		r := f.do("POST", "/api/v1/holds/expire", nil)
		r.want(t, http.StatusOK, &hs)
		if len(hs) != 0 || string(bytes.TrimSpace(r.body)) != "[]" {
			t.Errorf("nothing to expire yet: %s", r.body)
		}
		f.clock.Advance(30 * 24 * time.Hour)
		f.do("POST", "/api/v1/holds/expire", nil).want(t, http.StatusOK, &hs)
		if len(hs) != 1 || hs[0].HoldID != h3.HoldID || hs[0].Status != "expired" {
			t.Errorf("expired %+v", hs)
		}
	})
	t.Run("InTransit", func(t *testing.T) {
		f.do("POST", "/api/v1/holds", map[string]any{"cardnumber": bob.Cardnumber, "biblio_id": f.biblios["The Hobbit"].BiblioID,
			"pickup_library_id": "EAST"}).want(t, http.StatusCreated, nil)
		var res struct {
			Action    string `json:"action"`
			TransitTo string `json:"transit_to"`
		}
		f.do("POST", "/api/v1/checkins", map[string]string{"barcode": "B0002"}).want(t, http.StatusOK, &res)
		if res.Action != "transit" || res.TransitTo != "EAST" {
			t.Fatalf("checkin %+v", res)
		}
		var items []domain.Item
		f.do("GET", "/api/v1/items?transit_to=EAST", nil).want(t, http.StatusOK, &items)
		if len(items) != 1 || items[0].Barcode != "B0002" || items[0].Status != "in_transit" {
			t.Errorf("in transit to EAST: %+v", items)
		}
		f.do("GET", "/api/v1/items?transit_to=MAIN", nil).want(t, http.StatusOK, &items)
		if len(items) != 0 {
			t.Errorf("in transit to MAIN: %+v", items)
		}
	})
}

func TestAccount(t *testing.T) {
	f := newFixture(t)
	id := f.patrons["Alice"].PatronID
	acctPath := "/api/v1/patrons/" + id + "/account"
	balance := func(t *testing.T) int64 {
		t.Helper()
		var a domain.Account
		f.do("GET", acctPath, nil).want(t, http.StatusOK, &a)
		return a.BalanceCents
	}
	steps := []struct {
		name    string
		path    string
		body    map[string]any
		status  int
		code    string
		balance int64
	}{
		{"Charge", "/charges", map[string]any{"amount_cents": 500, "type": "damage", "description": "Torn page"}, http.StatusCreated, "", 500},
		{"Pay", "/payments", map[string]any{"amount_cents": 200, "payment_type": "card"}, http.StatusCreated, "", 300},
		{"Waive", "/waivers", map[string]any{"amount_cents": 100, "reason": "goodwill"}, http.StatusCreated, "", 200},
		{"ErrWaiveNoReason", "/waivers", map[string]any{"amount_cents": 100}, http.StatusBadRequest, "invalid", 200},
		{"ErrPayTooMuch", "/payments", map[string]any{"amount_cents": 5000}, http.StatusBadRequest, "bad_amount", 200},
		{"ErrPayNothing", "/payments", map[string]any{"amount_cents": 0}, http.StatusBadRequest, "bad_amount", 200},
		{"ErrPayMethod", "/payments", map[string]any{"amount_cents": 10, "payment_type": "gold"}, http.StatusBadRequest, "invalid", 200},
		{"ErrChargeKind", "/charges", map[string]any{"amount_cents": 10, "type": "tax", "description": "x"}, http.StatusBadRequest, "invalid", 200},
		{"ErrFeeID", "/payments", map[string]any{"amount_cents": 10, "account_line_id": "nope"}, http.StatusNotFound, "fee_not_found", 200},
		{"PayRest", "/payments", map[string]any{"amount_cents": 200}, http.StatusCreated, "", 0},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := f.do("POST", acctPath+s.path, s.body)
			if s.code != "" {
				r.wantProblem(t, s.status, s.code)
			} else {
				var a domain.Account
				r.want(t, s.status, &a)
				if a.BalanceCents != s.balance {
					t.Errorf("returned balance %d, want %d", a.BalanceCents, s.balance)
				}
			}
			if got := balance(t); got != s.balance {
				t.Errorf("balance %d, want %d", got, s.balance)
			}
		})
	}
	f.do("POST", "/api/v1/patrons/nobody/account/payments", map[string]any{"amount_cents": 1}).wantProblem(t, http.StatusNotFound, "patron_not_found")
	f.do("GET", "/api/v1/fees", nil).wantProblem(t, http.StatusBadRequest, "invalid")
}
