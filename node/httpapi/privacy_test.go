package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"stacks/node/apitype"
)

// TestPrivacyExportAndErasure: a patron exports their own data (not
// another's), staff with the permission export anyone's; a clerk may not
// erase; a supervisor's erasure is refused while the patron holds an item
// or owes money, then done; the export after it holds no personal data.
func TestPrivacyExportAndErasure(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	alice := e.alice.PatronID

	var ex map[string]json.RawMessage
	f.do("GET", "/api/v1/patrons/"+alice+"/export", nil, bearer(e.aliceTok)).want(t, http.StatusOK, &ex)
	for _, k := range []string{"patron", "loans", "holds", "fees", "audit", "notices", "patronprefs", "digital", "handoff", "websession", "retention"} {
		if _, ok := ex[k]; !ok {
			t.Errorf("export lacks %s", k)
		}
	}
	if !strings.Contains(string(ex["patron"]), e.alice.Cardnumber) || !strings.Contains(string(ex["loans"]), e.aliceLoan) ||
		!strings.Contains(string(ex["holds"]), e.aliceHold) || !strings.Contains(string(ex["fees"]), "lost card") {
		t.Fatalf("export: %s / %s / %s", ex["patron"], ex["loans"], ex["holds"])
	}
	// The audit log names who read Alice's record: the admin, above.
	if !strings.Contains(string(ex["audit"]), `"actor":"admin"`) {
		t.Fatalf("audit in export: %s", ex["audit"])
	}
	f.do("GET", "/api/v1/patrons/"+alice+"/export", nil, bearer(e.bobTok)).want(t, http.StatusForbidden, nil)
	f.do("GET", "/api/v1/patrons/"+alice+"/export", nil, asClerk).want(t, http.StatusForbidden, nil)
	f.do("GET", "/api/v1/patrons/"+alice+"/export", nil, asSuper).want(t, http.StatusOK, nil)
	r := f.do("GET", "/api/v1/patron/export?download=1", nil, bearer(e.aliceTok))
	r.want(t, http.StatusOK, nil)
	if !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %v", r.header)
	}

	var sum apitype.PrivacySummary
	f.do("GET", "/api/v1/patron/privacy", nil, bearer(e.aliceTok)).want(t, http.StatusOK, &sum)
	if sum.Retention.Mode != "at_return" || sum.ReadingHistory {
		t.Fatalf("summary %+v", sum)
	}
	f.do("PUT", "/api/v1/privacy/retention/ADULT", map[string]any{"mode": "after_days", "days": 30}, asClerk).want(t, http.StatusForbidden, nil)
	f.do("PUT", "/api/v1/privacy/retention/ADULT", map[string]any{"mode": "after_days", "days": 30}).want(t, http.StatusOK, nil)
	f.do("PUT", "/api/v1/privacy/retention/ADULT", map[string]any{"mode": "sometimes"}).want(t, http.StatusBadRequest, nil)
	f.do("GET", "/api/v1/patron/privacy", nil, bearer(e.aliceTok)).want(t, http.StatusOK, &sum)
	if sum.Retention.Mode != "after_days" || sum.Retention.Days != 30 {
		t.Fatalf("summary %+v", sum)
	}

	erase := "/api/v1/patrons/" + alice + "/erasure"
	f.do("POST", erase, map[string]string{"reason": "asked"}, asClerk).want(t, http.StatusForbidden, nil)
	f.do("POST", erase, map[string]string{"reason": ""}, asSuper).want(t, http.StatusBadRequest, nil)
	var p problemJSON
	f.do("POST", erase, map[string]string{"reason": "asked"}, asSuper).want(t, http.StatusConflict, &p)
	if p.Code != "erasure_refused" || !strings.Contains(p.Detail+p.Title, "on loan") {
		t.Fatalf("refusal %+v", p)
	}
	f.do("POST", "/api/v1/checkins", map[string]string{"barcode": "B0001"}).want(t, http.StatusOK, nil)
	f.do("POST", erase, map[string]string{"reason": "asked"}, asSuper).want(t, http.StatusConflict, &p)
	if !strings.Contains(p.Detail+p.Title, "owes") {
		t.Fatalf("refusal %+v", p)
	}
	f.do("POST", "/api/v1/patrons/"+alice+"/account/payments", map[string]any{"amount_cents": 250, "payment_type": "card"}).want(t, http.StatusCreated, nil)
	f.do("DELETE", "/api/v1/holds/"+e.aliceHold, nil).want(t, http.StatusOK, nil)
	var er apitype.Erasure
	f.do("POST", erase, map[string]string{"reason": "GDPR request"}, asSuper).want(t, http.StatusOK, &er)
	if er.PatronID != alice || er.ErasedAt == "" {
		t.Fatalf("erasure %+v", er)
	}
	f.do("GET", "/api/v1/patrons/"+alice+"/export", nil, asSuper).want(t, http.StatusOK, &ex)
	for _, v := range []string{e.alice.Cardnumber, "Alice", "Archer", "alice@example.org"} {
		if strings.Contains(string(ex["patron"]), v) {
			t.Fatalf("%q still in %s", v, ex["patron"])
		}
	}
}
