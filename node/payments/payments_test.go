package payments_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"stacks/node/payments"
	"stacks/node/payments/paytest"
)

const secret = "test-secret-0123456789"

func start(t *testing.T, now time.Time) (*paytest.Server, *payments.Client) {
	t.Helper()
	srv, err := paytest.Start("127.0.0.1:0", paytest.Config{Secret: secret, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := payments.New(payments.Config{URL: srv.URL(), Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []payments.Config{{URL: "ftp://x", Secret: secret}, {URL: "http://x", Secret: "short"}, {URL: "", Secret: secret}} {
		if _, err := payments.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestCreateIsIdempotentAndCheckoutNotifies(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	got := make(chan []byte, 4)
	sigs := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		sigs <- r.Header.Get(payments.SignatureHeader)
	}))
	defer hook.Close()
	srv, c := start(t, now)
	ctx := context.Background()
	in := payments.Intent{Reference: "attempt-1", AmountCents: 250, Currency: "EUR", Description: "Fees", ReturnURL: "http://lib/back",
		NotifyURL: hook.URL}
	p1, err := c.CreatePayment(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.CreatePayment(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if p1.ID != p2.ID || srv.Creates() != 1 || p1.Status != payments.StatusPending {
		t.Fatalf("two creates with one key: %+v %+v (%d created)", p1, p2, srv.Creates())
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(p1.CheckoutURL, url.Values{"card": {"1234"}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad card: %s", resp.Status)
	}
	resp, err = noRedirect.PostForm(p1.CheckoutURL, url.Values{"card": {"4242 4242 4242 4242"}, "action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://lib/back" {
		t.Fatalf("after paying: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	body, sig := <-got, <-sigs
	p, err := c.VerifyNotification(sig, body, now.Add(time.Minute))
	if err != nil || p.Status != payments.StatusSucceeded || p.Reference != "attempt-1" {
		t.Fatalf("notification %+v %v", p, err)
	}
	if _, err := c.VerifyNotification(sig, body, now.Add(time.Hour)); !errors.Is(err, payments.ErrSignature) {
		t.Fatalf("an old notification: %v", err)
	}
	if _, err := c.VerifyNotification(sig, []byte(strings.Replace(string(body), "250", "1", 1)), now); !errors.Is(err, payments.ErrSignature) {
		t.Fatalf("a changed notification: %v", err)
	}
	if p, err := c.Payment(ctx, p1.ID); err != nil || p.Status != payments.StatusSucceeded {
		t.Fatalf("payment %+v %v", p, err)
	}
}

func TestUnauthorisedAndDown(t *testing.T) {
	srv, _ := start(t, time.Now())
	bad, _ := payments.New(payments.Config{URL: srv.URL(), Secret: "another-secret-0123456"})
	if _, err := bad.CreatePayment(context.Background(), payments.Intent{Reference: "k", AmountCents: 1, Currency: "EUR", ReturnURL: "http://x"}); err == nil ||
		errors.Is(err, payments.ErrUnavailable) {
		t.Fatalf("wrong secret: %v", err)
	}
	srv.Close()
	c, _ := payments.New(payments.Config{URL: srv.URL(), Secret: secret})
	if _, err := c.Payment(context.Background(), "pay_x"); !errors.Is(err, payments.ErrUnavailable) {
		t.Fatalf("provider down: %v", err)
	}
}
