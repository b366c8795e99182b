package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/branch/handoff"
)

// TestHandoffPickup: a patron makes a "pick up my ready holds" code in the
// app; the desk redeems it and every ready hold is checked out in one go;
// the code is refused the second time, and a code past its time is
// refused; a staff login may not make codes, a patron may not redeem them.
func TestHandoffPickup(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	// Bob returns Dune: it is trapped for Alice's hold, ready at MAIN.
	f.do("POST", "/api/v1/checkins", map[string]any{"barcode": "D0001"}).want(t, http.StatusOK, nil)

	var code handoff.Issued
	f.do("POST", "/api/v1/patron/handoff_codes", map[string]any{"intent": "pickup_holds"}, bearer(e.aliceTok)).want(t, http.StatusCreated, &code)
	if len(code.Code) != handoff.CodeLen || !strings.HasPrefix(code.QR, handoff.QRPrefix) {
		t.Fatalf("code %+v", code)
	}
	f.do("POST", "/api/v1/patron/handoff_codes", map[string]any{"intent": "fly"}, bearer(e.aliceTok)).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("POST", "/api/v1/patron/handoff_codes", map[string]any{"intent": "pickup_holds"}, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("POST", "/api/v1/handoff_codes/redemption", map[string]any{"code": code.Code}, bearer(e.aliceTok)).wantProblem(t, http.StatusForbidden, "not_permitted")

	var res struct {
		Intent  string           `json:"intent"`
		Patron  domain.Patron    `json:"patron"`
		Pickups []handoff.Pickup `json:"pickups"`
	}
	f.do("POST", "/api/v1/handoff_codes/redemption", map[string]any{"code": code.QR}, asClerk).want(t, http.StatusOK, &res)
	if res.Intent != "pickup_holds" || res.Patron.PatronID != e.alice.PatronID || len(res.Pickups) != 1 ||
		res.Pickups[0].Checkout == nil || res.Pickups[0].Checkout.ItemID != f.items["D0001"].ItemID {
		t.Fatalf("redeemed %+v", res)
	}
	p := f.do("POST", "/api/v1/handoff_codes/redemption", map[string]any{"code": code.Code}, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
	if !strings.Contains(p.Detail, "already been used") {
		t.Errorf("second use: %+v", p)
	}

	var login handoff.Issued
	f.do("POST", "/api/v1/patron/handoff_codes", map[string]any{"intent": "kiosk_login"}, bearer(e.aliceTok)).want(t, http.StatusCreated, &login)
	f.clock.Advance(handoff.DefaultTTL)
	p = f.do("POST", "/api/v1/handoff_codes/redemption", map[string]any{"code": login.Code}, asKiosk).wantProblem(t, http.StatusBadRequest, "invalid")
	if !strings.Contains(p.Detail, "expired") {
		t.Errorf("expired: %+v", p)
	}
}
