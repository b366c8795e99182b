package httpapi_test

import (
	"net/http"
	"testing"

	"stacks/branch/digital"
	"stacks/branch/domain"
)

// TestDigitalLending: staff add a licence, a patron borrows with their own
// token, sees the loan among their loans marked digital, is refused a
// second copy in Finnish when asking in Finnish, renews and returns early;
// the next patron in the queue is lent the title.
func TestDigitalLending(t *testing.T) {
	f := newFixture(t)
	alice, bob := f.patrons["Alice"], f.patrons["Bob"]
	var b domain.Biblio
	f.do("POST", "/api/v1/biblios", map[string]any{"title": "Digital Dune", "format": "ebook"}).want(t, http.StatusCreated, &b)
	// No licence yet: nothing to lend.
	f.do("POST", "/api/v1/digital_checkouts", map[string]any{"patron_id": alice.PatronID, "biblio_id": b.BiblioID}).
		wantProblem(t, http.StatusForbidden, string(domain.CodeNoLicenceFree))
	// A clerk may not add licences; an admin may.
	f.do("POST", "/api/v1/biblios/"+b.BiblioID+"/licences", map[string]any{"copies": 1}, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")
	var lr domain.DigitalResult
	f.do("POST", "/api/v1/biblios/"+b.BiblioID+"/licences", map[string]any{"copies": 1, "max_loans": 26, "note": "26 circulations"}).
		want(t, http.StatusCreated, &lr)
	if lr.Licence == nil || lr.Licence.Capacity() != 1 || lr.Licence.MaxLoans != 26 {
		t.Fatalf("licence %+v", lr.Licence)
	}
	var ls []domain.Licence
	f.do("GET", "/api/v1/biblios/"+b.BiblioID+"/licences", nil, asAnon).want(t, http.StatusOK, &ls)
	if len(ls) != 1 || !ls[0].Usable {
		t.Fatalf("licences %+v", ls)
	}

	var pl struct {
		Token string `json:"token"`
	}
	f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": card(alice), "pin": "1234"}, asAnon).want(t, http.StatusOK, &pl)
	asAlice := bearer(pl.Token)
	// Alice may not borrow for Bob.
	f.do("POST", "/api/v1/digital_checkouts", map[string]any{"patron_id": bob.PatronID, "biblio_id": b.BiblioID}, asAlice).
		wantProblem(t, http.StatusForbidden, "not_permitted")
	var got domain.DigitalResult
	f.do("POST", "/api/v1/digital_checkouts", map[string]any{"patron_id": alice.PatronID, "biblio_id": b.BiblioID}, asAlice).
		want(t, http.StatusCreated, &got)
	if got.Loan == nil || got.Loan.PatronID != alice.PatronID {
		t.Fatalf("loan %+v", got.Loan)
	}
	var av domain.Availability
	f.do("GET", "/api/v1/biblios/"+b.BiblioID+"/availability", nil, asAnon).want(t, http.StatusOK, &av)
	if av.LicencesTotal != 1 || av.LicencesFree != 0 {
		t.Fatalf("availability %d of %d free", av.LicencesFree, av.LicencesTotal)
	}
	var loans []domain.Loan
	f.do("GET", "/api/v1/patrons/"+alice.PatronID+"/checkouts", nil, asAlice).want(t, http.StatusOK, &loans)
	found := false
	for _, l := range loans {
		found = found || (l.LoanID == got.Loan.LoanID && l.Digital && l.BiblioID == b.BiblioID)
	}
	if !found {
		t.Fatalf("the digital loan is not among Alice's loans: %+v", loans)
	}
	// Bob, asking in Finnish, is told so in Finnish; he joins the queue.
	p := f.do("POST", "/api/v1/digital_checkouts", map[string]any{"patron_id": bob.PatronID, "biblio_id": b.BiblioID}, asClerk,
		header("Accept-Language", "fi-FI, en;q=0.5")).wantProblem(t, http.StatusForbidden, string(domain.CodeNoLicenceFree))
	if want := digital.Text("fi", "no_licence_free", 1, "Digital Dune"); p.Detail != want {
		t.Fatalf("Finnish refusal %q, want %q", p.Detail, want)
	}
	var hr domain.DigitalResult
	f.do("POST", "/api/v1/digital_holds", map[string]any{"patron_id": bob.PatronID, "biblio_id": b.BiblioID}, asClerk).want(t, http.StatusCreated, &hr)
	if hr.Hold == nil || hr.Hold.Position != 1 {
		t.Fatalf("hold %+v", hr.Hold)
	}
	// Bob waits, so Alice may not renew; she returns early and Bob is lent it.
	f.do("POST", "/api/v1/digital_checkouts/"+got.Loan.LoanID+"/renewal", nil, asAlice).
		wantProblem(t, http.StatusForbidden, string(domain.CodeRenewalBlocked))
	var ret domain.DigitalResult
	f.do("POST", "/api/v1/digital_checkouts/"+got.Loan.LoanID+"/return", nil, asAlice).want(t, http.StatusOK, &ret)
	if len(ret.Filled) != 1 || ret.Filled[0].PatronID != bob.PatronID {
		t.Fatalf("return %+v", ret)
	}
	// Alice cannot read or return Bob's loan.
	f.do("POST", "/api/v1/digital_checkouts/"+ret.Filled[0].LoanID+"/return", nil, asAlice).wantProblem(t, http.StatusForbidden, "not_permitted")
	var h domain.DigitalHold
	f.do("GET", "/api/v1/digital_holds/"+hr.Hold.HoldID, nil).want(t, http.StatusOK, &h)
	if h.Status != domain.DigitalHoldFilled {
		t.Fatalf("hold %+v", h)
	}
}
