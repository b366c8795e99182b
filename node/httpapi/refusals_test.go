package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// A checkout that breaks several rules names them all.
func TestRefusalsListed(t *testing.T) {
	f := newFixture(t)
	r := f.do("POST", "/api/v1/checkouts", map[string]string{"cardnumber": "21000000000004", "barcode": "R0001"})
	var p struct {
		Code        string `json:"code"`
		Overridable bool   `json:"overridable"`
		Refusals    []struct {
			Code string `json:"code"`
		} `json:"refusals"`
	}
	json.Unmarshal(r.body, &p)
	if r.status != http.StatusForbidden || p.Code != "patron_blocked" || !p.Overridable || len(p.Refusals) < 2 ||
		p.Refusals[0].Code != "patron_blocked" || p.Refusals[1].Code != "not_loanable" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
