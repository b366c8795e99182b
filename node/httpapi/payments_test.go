package httpapi_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"stacks/node/apitype"
	"stacks/node/payments"
	"stacks/node/payments/paytest"
)

func idempotencyKey(k string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Idempotency-Key", k) }
}

// TestPatronAPIPay: a patron starts an online payment of their charges
// through the API and gets the provider's page and the payment's id; the
// same request sent again (same Idempotency-Key) is the same payment and
// creates nothing at the provider; once paid there, GET of the payment
// says paid (asking the provider), the charge is settled once, and a third
// submit pays nothing more. Another patron cannot see it; a request
// without the key is refused.
func TestPatronAPIPay(t *testing.T) {
	prov, err := paytest.Start("127.0.0.1:0", paytest.Config{Secret: "test-secret-0123456789", SkipNotify: true})
	must(t, err)
	t.Cleanup(func() { prov.Close() })
	client, err := payments.New(payments.Config{URL: prov.URL(), Secret: "test-secret-0123456789"})
	must(t, err)
	f := newFixtureWith(t, fixtureConfig{seed: true, pay: client})
	e := newPatronAPIEnv(t, f)
	const key = "app-attempt-0001-abcdef"

	f.do("POST", "/api/v1/patron/payments", map[string]any{}, bearer(e.aliceTok)).wantProblem(t, http.StatusBadRequest, "invalid")

	var first, again apitype.PatronPayment
	f.do("POST", "/api/v1/patron/payments", map[string]any{}, bearer(e.aliceTok), idempotencyKey(key)).want(t, http.StatusCreated, &first)
	if first.ID != key || first.Status != "pending" || first.Amount.Cents != 250 || len(first.Charges) != 1 ||
		!strings.HasPrefix(first.RedirectURL, prov.URL()+"/") {
		t.Fatalf("started: %+v", first)
	}
	f.do("POST", "/api/v1/patron/payments", map[string]any{}, bearer(e.aliceTok), idempotencyKey(key)).want(t, http.StatusOK, &again)
	if again.ID != first.ID || again.RedirectURL != first.RedirectURL || prov.Creates() != 1 {
		t.Fatalf("a double submit is another payment: %+v, %d created at the provider", again, prov.Creates())
	}
	f.do("GET", "/api/v1/patron/payments/"+key, nil, bearer(e.bobTok)).wantProblem(t, http.StatusNotFound, "fee_not_found")

	// The patron pays on the provider's page.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(first.RedirectURL, url.Values{"card": {paytest.CardSucceeds}, "action": {"pay"}})
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("provider: %s", resp.Status)
	}

	var paid apitype.PatronPayment
	f.do("GET", "/api/v1/patron/payments/"+key, nil, bearer(e.aliceTok)).want(t, http.StatusOK, &paid)
	if paid.Status != "paid" || paid.RedirectURL != "" {
		t.Fatalf("after paying: %+v", paid)
	}
	f.do("POST", "/api/v1/patron/payments", map[string]any{}, bearer(e.aliceTok), idempotencyKey(key)).want(t, http.StatusOK, &again)
	if again.Status != "paid" || prov.Creates() != 1 {
		t.Fatalf("submitted once more: %+v", again)
	}
	var acct apitype.PatronAccount
	f.do("GET", "/api/v1/patron/account", nil, bearer(e.aliceTok)).want(t, http.StatusOK, &acct)
	if acct.TotalCharges.Cents != 0 {
		t.Errorf("balance after paying: %+v", acct.TotalCharges)
	}
	a, err := f.svc.Account(f.admin, e.alice.PatronID)
	must(t, err)
	if a.BalanceCents != 0 {
		t.Errorf("balance %d, want 0 (paid once)", a.BalanceCents)
	}
	// The provider's page names what is paid in the patron's language.
	f.do("PATCH", "/api/v1/patron/profile", map[string]any{"lang": "fi"}, bearer(e.bobTok)).want(t, http.StatusOK, nil)
	var bobs apitype.PatronPayment
	f.do("POST", "/api/v1/patron/payments", map[string]any{}, bearer(e.bobTok), idempotencyKey("bob-attempt-0001-abcdef")).want(t, http.StatusCreated, &bobs)
	for u, want := range map[string]string{first.RedirectURL: "Library fees", bobs.RedirectURL: "Kirjaston maksut"} {
		resp, err := http.Get(u)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) {
			t.Errorf("the provider's page lacks %q:\n%s", want, b)
		}
	}
	// Nothing left to pay: a new key is refused.
	f.do("POST", "/api/v1/patron/payments", map[string]any{}, bearer(e.aliceTok), idempotencyKey("app-attempt-0002-abcdef")).
		wantProblem(t, http.StatusBadRequest, "bad_amount")
}

// TestPatronAPIPayNotOffered: without a provider the routes say so.
func TestPatronAPIPayNotOffered(t *testing.T) {
	f := newFixture(t)
	e := newPatronAPIEnv(t, f)
	f.do("POST", "/api/v1/patron/payments", map[string]any{}, bearer(e.aliceTok), idempotencyKey("app-attempt-0001-abcdef")).
		wantProblem(t, http.StatusNotFound, "payments_not_offered")
}
