package node_test

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/apitype"
)

// TestDemoLendsAPaymentProvider: a node holding the demo library with no
// provider configured offers online payment through the test provider,
// running in-process on loopback, whose page says in English and Finnish
// that it is a test provider; started without --demo it offers none.
func TestDemoLendsAPaymentProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the demo library")
	}
	dir := t.TempDir()
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost = filepath.Join(dir, "demo"), "127.0.0.1:0", 4
	demo, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- demo.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	u := "http://" + demo.Addr()
	tok := chargedPatron(t, u)
	var pay apitype.PatronPayment
	if code := payCall(t, "POST", u+"/api/v1/patron/payments", tok, "demo-attempt-00000001", &pay); code != 201 {
		t.Fatalf("start: %d", code)
	}
	if !strings.HasPrefix(pay.RedirectURL, "http://127.0.0.1:") {
		t.Fatalf("the provider is not on loopback: %q", pay.RedirectURL)
	}
	for lang, want := range map[string]string{"en": "Test payment provider: no real money is taken.", "fi": "Testimaksupalvelu: oikeaa rahaa ei veloiteta."} {
		req, _ := http.NewRequest("GET", pay.RedirectURL, nil)
		req.Header.Set("Accept-Language", lang)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), want) || !strings.Contains(string(b), `lang="`+lang+`"`) {
			t.Errorf("%s page lacks %q:\n%s", lang, want, b)
		}
	}

	// The same library started without --demo offers no provider.
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil // for the cleanup
	cfg.Demo = false
	u = "http://" + startNode(t, cfg).Addr()
	var sess struct {
		Token string `json:"token"`
	}
	if code := apiDo(t, "POST", u+"/api/v1/auth/patron", map[string]string{"cardnumber": "29000009", "pin": "1234"}, &sess); code != 200 {
		t.Fatalf("patron login: %d", code)
	}
	tok = sess.Token
	if code := payCall(t, "POST", u+"/api/v1/patron/payments", tok, "plain-attempt-0000001", nil); code != 404 {
		t.Errorf("without the demo library: %d, want 404 (not offered)", code)
	}
}

// chargedPatron registers a patron at the node with a charge and answers
// their patron token.
func chargedPatron(t *testing.T, u string) string {
	t.Helper()
	var p domain.Patron
	if code := apiDo(t, "POST", u+"/api/v1/patrons", map[string]any{"cardnumber": "29000009", "surname": "Payer",
		"library_id": "MAIN", "category_id": "ADULT", "pin": "1234"}, &p); code != 201 {
		t.Fatalf("patron: %d", code)
	}
	if code := apiDo(t, "POST", u+"/api/v1/patrons/"+p.PatronID+"/account/charges",
		map[string]any{"amount_cents": 250, "description": "lost card"}, nil); code != 201 {
		t.Fatalf("charge: %d", code)
	}
	var sess struct {
		Token string `json:"token"`
	}
	if code := apiDo(t, "POST", u+"/api/v1/auth/patron", map[string]string{"cardnumber": "29000009", "pin": "1234"}, &sess); code != 200 {
		t.Fatalf("patron login: %d", code)
	}
	return sess.Token
}
