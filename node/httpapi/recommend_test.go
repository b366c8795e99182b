package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"stacks/branch/domain"
)

// TestRecommendationsAPI: the public "also borrowed" of a title appears
// at five patrons; a patron's own suggestions are refused until they turn
// them on with PUT /api/v1/patron/suggestions; bad limits are refused.
func TestRecommendationsAPI(t *testing.T) {
	f := newFixture(t)
	b, err := f.svc.AddBiblio(f.admin, domain.NewBiblio{Title: "Walden"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddItem(f.admin, domain.NewItem{Barcode: "W0001", BiblioID: b.BiblioID, ItemType: "BOOK"}); err != nil {
		t.Fatal(err)
	}
	hobbit := f.biblios["The Hobbit"].BiblioID
	path := "/api/v1/biblios/" + hobbit + "/recommendations"
	for i := range 5 {
		var r domain.Recommendations
		f.do("GET", path, nil, asAnon).want(t, http.StatusOK, &r)
		if len(r.Titles) != 0 {
			t.Fatalf("at %d patrons: %+v", i, r.Titles)
		}
		p, err := f.svc.RegisterPatron(f.admin, domain.NewPatron{Cardnumber: fmt.Sprintf("2100000000800%d", i), Firstname: "Reader",
			Surname: fmt.Sprint(i), Category: "ADULT", PIN: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"B0001", "W0001"} {
			if _, err := f.svc.Checkout(f.admin, domain.CheckoutRequest{PatronID: p.PatronID, Barcode: code}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Checkin(f.admin, domain.CheckinRequest{Barcode: code}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var r domain.Recommendations
	f.do("GET", path, nil, asAnon).want(t, http.StatusOK, &r)
	if len(r.Titles) != 1 || r.Titles[0].Title != "Walden" || r.Titles[0].Patrons != 5 || r.Titles[0].Basis != domain.BasisAlsoBorrowed {
		t.Fatalf("also borrowed: %+v", r.Titles)
	}
	f.do("GET", path+"?limit=0", nil, asAnon).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("GET", "/api/v1/biblios/nope/recommendations", nil, asAnon).want(t, http.StatusNotFound, nil)

	alice := f.patrons["Alice"]
	f.checkout(card(alice), "B0001")
	tok := f.patronToken(alice)
	f.do("GET", "/api/v1/patron/recommendations", nil, asAnon).want(t, http.StatusUnauthorized, nil)
	f.do("GET", "/api/v1/patron/recommendations", nil, bearer(tok)).wantProblem(t, http.StatusForbidden, "suggestions_off")
	f.do("PUT", "/api/v1/patron/suggestions", map[string]any{}, bearer(tok)).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("PUT", "/api/v1/patron/suggestions", map[string]any{"enabled": true}, bearer(tok)).want(t, http.StatusOK, nil)
	f.do("GET", "/api/v1/patron/recommendations", nil, bearer(tok)).want(t, http.StatusOK, &r)
	if len(r.Titles) == 0 || r.Titles[0].Title != "Walden" {
		t.Fatalf("Alice's suggestions: %+v", r.Titles)
	}
	for _, x := range r.Titles {
		if x.BiblioID == hobbit {
			t.Fatalf("suggested what she borrows: %+v", r.Titles)
		}
	}
}
