package httpapi_test

import (
	"net/http"
	"testing"
)

func TestPatronLoginLockout(t *testing.T) {
	f := newFixture(t)
	var card string
	for _, c := range []string{"21000000000001", "1001", "P1"} {
		if r := f.do("GET", "/api/v1/patrons?cardnumber="+c, nil); r.status == 200 && len(r.body) > 2 {
			card = c
			break
		}
	}
	if card == "" {
		r := f.do("POST", "/api/v1/patrons", map[string]any{"cardnumber": "LOCK1", "surname": "Lock", "category_id": "ADULT", "pin": "1234"}, asAdmin)
		if r.status != 201 {
			t.Fatalf("register: %d %s", r.status, r.body)
		}
		card = "LOCK1"
	}
	ok := f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": card, "pin": "1234"})
	if ok.status != http.StatusOK {
		t.Skipf("fixture patron %s has another PIN: %d %s", card, ok.status, ok.body)
	}
	for i := 0; i < 4; i++ {
		if r := f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": card, "pin": "0000"}, header("X-Stacks-Channel", "web")); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i, r.status, r.body)
		}
	}
	if r := f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": card, "pin": "0000"}); r.status != http.StatusLocked {
		t.Fatalf("fifth failure: %d %s", r.status, r.body)
	}
	if r := f.do("POST", "/api/v1/auth/patron", map[string]string{"cardnumber": card, "pin": "1234"}); r.status != http.StatusLocked {
		t.Fatalf("locked: %d %s", r.status, r.body)
	}
}
