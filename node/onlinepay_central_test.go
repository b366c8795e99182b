package node_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/apitype"
	"stacks/node/payments/paytest"
)

// payCall sends a patron API request with the patron's token and an
// Idempotency-Key.
func payCall(t *testing.T, method, u, token, key string, out any) int {
	t.Helper()
	var body io.Reader
	if method == "POST" {
		body = bytes.NewReader([]byte(`{}`))
	}
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, u, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, u, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// TestOnlinePaymentOnACentralNode: a patron pays a fee online through a
// central follower's patron API. The attempt is kept in that node's own
// table (its writes are local, not a dry run), the provider's notification
// to that node settles the fee once through Raft, so every central node
// sees the balance paid, and a double submit pays nothing more.
func TestOnlinePaymentOnACentralNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Raft cluster")
	}
	const secret = "central-test-secret-0123"
	prov, err := paytest.Start("127.0.0.1:0", paytest.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { prov.Close() })
	_, peers := startCentrals(t, t.TempDir(), func(c *node.Config) { c.PaymentURL, c.PaymentSecret = prov.URL(), secret })
	if code := apiDo(t, "PUT", peers[1]+"/api/v1/libraries/MAIN", map[string]any{"name": "Main"}, nil); code >= 300 {
		t.Fatalf("library: %d", code)
	}
	if code := apiDo(t, "PUT", peers[1]+"/api/v1/patron_categories/ADULT", map[string]any{"description": "Adult", "max_fine_cents": 1000,
		"enrolment_months": 12, "max_holds": 10}, nil); code >= 300 {
		t.Fatalf("category: %d", code)
	}
	var p domain.Patron
	if code := apiDo(t, "POST", peers[0]+"/api/v1/patrons", map[string]any{"cardnumber": "29000002", "surname": "Payer",
		"library_id": "MAIN", "category_id": "ADULT", "pin": "1234"}, &p); code != 201 {
		t.Fatalf("patron: %d", code)
	}
	if code := apiDo(t, "POST", peers[0]+"/api/v1/patrons/"+p.PatronID+"/account/charges",
		map[string]any{"amount_cents": 250, "description": "lost card"}, nil); code != 201 {
		t.Fatalf("charge: %d", code)
	}
	follower := peers[1]
	var sess struct {
		Token string `json:"token"`
	}
	eventually(t, 30*time.Second, "the patron's charge at the follower", func() bool {
		var acct domain.Account
		return apiDo(t, "POST", follower+"/api/v1/auth/patron", map[string]string{"cardnumber": "29000002", "pin": "1234"}, &sess) == 200 &&
			apiDo(t, "GET", follower+"/api/v1/patrons/"+p.PatronID+"/account", nil, &acct) == 200 && acct.BalanceCents == 250
	})

	const key = "central-attempt-000000001"
	var pay apitype.PatronPayment
	if code := payCall(t, "POST", follower+"/api/v1/patron/payments", sess.Token, key, &pay); code != 201 || pay.Status != "pending" {
		t.Fatalf("start at a follower: %d %+v", code, pay)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(pay.RedirectURL, url.Values{"card": {paytest.CardSucceeds}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eventually(t, 30*time.Second, "the payment paid at the follower", func() bool {
		return payCall(t, "GET", follower+"/api/v1/patron/payments/"+key, sess.Token, "", &pay) == 200 && pay.Status == "paid"
	})
	if code := payCall(t, "POST", follower+"/api/v1/patron/payments", sess.Token, key, &pay); code != 200 || pay.Status != "paid" {
		t.Fatalf("double submit: %d %+v", code, pay)
	}
	for _, at := range peers {
		eventually(t, 30*time.Second, "paid once at "+at, func() bool {
			var acct domain.Account
			return apiDo(t, "GET", at+"/api/v1/patrons/"+p.PatronID+"/account", nil, &acct) == 200 && acct.BalanceCents == 0
		})
	}
	if prov.Creates() != 1 {
		t.Errorf("%d payments created at the provider, want 1", prov.Creates())
	}
}
