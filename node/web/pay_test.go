package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"stacks/branch/domain"
	"stacks/node/payments"
	"stacks/node/payments/paytest"
	"stacks/node/web"
)

const paySecret = "library-and-provider-secret"

// payLib is the library with the test payment provider running over TCP,
// and Ann owing two fees (3.00 and 2.00).
func payLib(t *testing.T, pcfg paytest.Config) (*lib, *paytest.Server) {
	t.Helper()
	pcfg.Secret = paySecret
	var prov *paytest.Server
	l := newLib(t, func(c *web.Config) {
		pcfg.Now = c.Library.Now
		var err error
		prov, err = paytest.Start("127.0.0.1:0", pcfg)
		must(t, err)
		t.Cleanup(func() { prov.Close() })
		client, err := payments.New(payments.Config{URL: prov.URL(), Secret: paySecret})
		must(t, err)
		c.Payments = client
	})
	for _, amt := range []int64{300, 200} {
		_, err := l.svc.Charge(l.ctx, l.ann.PatronID, domain.ChargeRequest{AmountCents: amt, Description: "Damaged cover", Kind: "damage"})
		must(t, err)
	}
	return l, prov
}

var attemptField = regexp.MustCompile(`name="attempt" value="([^"]+)"`)

func attemptKey(t *testing.T, body string) string {
	t.Helper()
	m := attemptField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no payment form on the page:\n%s", body)
	}
	return m[1]
}

// payments are the payment lines of Ann's ledger.
func (l *lib) paymentLines() []domain.FeeLine {
	l.t.Helper()
	a, err := l.svc.Account(l.ctx, l.ann.PatronID)
	must(l.t, err)
	var out []domain.FeeLine
	for _, ln := range a.Lines {
		if ln.Kind == "payment" {
			out = append(out, ln)
		}
	}
	return out
}

func (l *lib) balance() int64 {
	l.t.Helper()
	a, err := l.svc.Account(l.ctx, l.ann.PatronID)
	must(l.t, err)
	return a.BalanceCents
}

// checkout pays on the provider's page the browser is on.
func (b *browser) checkout(p page, card string) page {
	b.t.Helper()
	if !strings.Contains(p.body, "Card number") {
		b.t.Fatalf("not the provider's checkout page:\n%s", p.body)
	}
	action := "pay"
	if card == "" {
		action = "cancel"
	}
	req, err := http.NewRequest("POST", p.absURL, strings.NewReader(url.Values{"card": {card}, "action": {action}}.Encode()))
	must(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func TestPayOnline(t *testing.T) {
	l, prov := payLib(t, paytest.Config{})
	b := l.browser()
	b.login(annCard, annPIN)
	acct := b.get("/account")
	wantIn(t, acct, "Pay online", "Damaged cover, €3.00")
	key := attemptKey(t, acct.body)
	form := url.Values{"attempt": {key}, "csrf": {b.csrf()}}
	co := b.post("/account/pay", form)
	wantStatus(t, co, http.StatusOK)
	wantIn(t, co, "Pay EUR 5.00")
	done := b.checkout(co, "4242 4242 4242 4242")
	wantStatus(t, done, http.StatusOK)
	wantIn(t, done, "Thank you: €5.00 paid online.")
	if done.url != "/account/pay/return" {
		t.Fatalf("back at %s", done.url)
	}
	if got := l.paymentLines(); len(got) != 2 || l.balance() != 0 {
		t.Fatalf("payments %+v, balance %d", got, l.balance())
	}
	ops := l.ops("fee.lines")
	last := ops[len(ops)-1]
	if last.Channel != string(domain.ChannelWeb) || last.Actor != "patron:"+l.ann.PatronID {
		t.Fatalf("payment op by %s on %s", last.Actor, last.Channel)
	}
	id := strings.TrimPrefix(co.absURL, prov.URL()+"/checkout/")
	if n, err := prov.Notified(id); n != 1 || err != nil {
		t.Fatalf("notified %d times, %v", n, err)
	}
	before := len(l.ops("fee.lines"))

	t.Run("ReplayedCallback", func(t *testing.T) {
		must(t, prov.Notify(context.Background(), id))
		must(t, prov.Notify(context.Background(), id))
		if n := len(l.ops("fee.lines")); n != before {
			t.Fatalf("a replayed notification added %d ops", n-before)
		}
	})
	t.Run("ReloadedReturnPage", func(t *testing.T) {
		p := b.get("/account/pay/return?attempt=" + key)
		wantIn(t, p, "Thank you: €5.00 paid online.")
		if n := len(l.ops("fee.lines")); n != before {
			t.Fatalf("a reload added %d ops", n-before)
		}
	})
	t.Run("ResubmittedForm", func(t *testing.T) {
		b.get("/account")
		p := b.post("/account/pay", url.Values{"attempt": {key}})
		wantIn(t, p, "Thank you: €5.00 paid online.")
		if n := len(l.ops("fee.lines")); n != before || prov.Creates() != 1 {
			t.Fatalf("a resubmitted form: %d more ops, %d payments created", n-before, prov.Creates())
		}
	})
	t.Run("AnotherPatronsReturn", func(t *testing.T) {
		bob := l.browser()
		bob.login(bobCard, bobPIN)
		p := bob.get("/account/pay/return?attempt=" + key)
		wantStatus(t, p, http.StatusNotFound)
		wantNotIn(t, p, "5.00")
	})
}

func TestPayDoubleSubmit(t *testing.T) {
	l, prov := payLib(t, paytest.Config{})
	b := l.browser()
	b.login(annCard, annPIN)
	acct := b.get("/account")
	key, csrf := attemptKey(t, acct.body), b.csrf()
	fees := regexp.MustCompile(`name="fee" value="([^"]+)"`).FindAllStringSubmatch(acct.body, -1)
	if len(fees) != 2 {
		t.Fatalf("fees to choose: %v", fees)
	}
	form := url.Values{"attempt": {key}, "csrf": {csrf}, "fee": {fees[1][1]}} // only the 2.00 fee
	first := b.post("/account/pay", form)
	second := b.post("/account/pay", form)
	if first.absURL != second.absURL || prov.Creates() != 1 {
		t.Fatalf("two clicks: %s and %s, %d payments created", first.absURL, second.absURL, prov.Creates())
	}
	wantIn(t, second, "Pay EUR 2.00")
	b.checkout(second, paytest.CardSucceeds)
	if got := l.paymentLines(); len(got) != 1 || l.balance() != 300 {
		t.Fatalf("payments %+v, balance %d", got, l.balance())
	}
}

func TestPayReturnAsksTheProvider(t *testing.T) {
	l, _ := payLib(t, paytest.Config{SkipNotify: true})
	b := l.browser()
	b.login(annCard, annPIN)
	acct := b.get("/account")
	co := b.post("/account/pay", url.Values{"attempt": {attemptKey(t, acct.body)}})
	done := b.checkout(co, paytest.CardSucceeds)
	wantIn(t, done, "Thank you: €5.00 paid online.")
	if l.balance() != 0 {
		t.Fatalf("balance %d", l.balance())
	}
}

func TestPayDeclinedOrCancelled(t *testing.T) {
	for _, c := range []struct{ card, want string }{{paytest.CardDeclined, "Your card was declined"}, {"", "The payment was cancelled"}} {
		l, _ := payLib(t, paytest.Config{})
		b := l.browser()
		b.login(annCard, annPIN)
		acct := b.get("/account")
		co := b.post("/account/pay", url.Values{"attempt": {attemptKey(t, acct.body)}})
		done := b.checkout(co, c.card)
		wantIn(t, done, c.want, "nothing was paid", "Pay online")
		if len(l.paymentLines()) != 0 || l.balance() != 500 {
			t.Fatalf("%q: payments %+v, balance %d", c.card, l.paymentLines(), l.balance())
		}
	}
}

func TestPayProviderDown(t *testing.T) {
	l, prov := payLib(t, paytest.Config{})
	b := l.browser()
	b.login(annCard, annPIN)
	acct := b.get("/account")
	prov.Close()
	p := b.post("/account/pay", url.Values{"attempt": {attemptKey(t, acct.body)}})
	wantStatus(t, p, http.StatusServiceUnavailable)
	wantIn(t, p, "The payment service cannot be reached just now, so nothing was paid.")
	if len(l.paymentLines()) != 0 || l.balance() != 500 {
		t.Fatalf("payments %+v, balance %d", l.paymentLines(), l.balance())
	}
}

func TestPayNotConfigured(t *testing.T) {
	l := newLib(t)
	_, err := l.svc.Charge(l.ctx, l.ann.PatronID, domain.ChargeRequest{AmountCents: 300, Description: "Damaged cover", Kind: "damage"})
	must(t, err)
	b := l.browser()
	b.login(annCard, annPIN)
	acct := b.get("/account")
	wantIn(t, acct, "Online payment is not available at this library.")
	wantNotIn(t, acct, `action="/account/pay"`)
	p := b.post("/account/pay", url.Values{"attempt": {"0123456789abcdef0123"}})
	wantStatus(t, p, http.StatusServiceUnavailable)
	resp, err := http.Post(l.srv.URL+"/payments/notify", "application/json", strings.NewReader(`{}`))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("notify without a provider: %s", resp.Status)
	}
	if len(l.paymentLines()) != 0 {
		t.Fatal("paid without a provider")
	}
}

func TestPayNotifyRefused(t *testing.T) {
	l, _ := payLib(t, paytest.Config{})
	now := l.svc.Now()
	body := []byte(`{"id":"pay_x","reference":"0123456789abcdef0123","amount_cents":500,"currency":"EUR","status":"succeeded"}`)
	for name, c := range map[string]struct {
		sig  string
		want int
	}{
		"NoSignature":    {"", http.StatusBadRequest},
		"WrongSecret":    {payments.Sign("another-secret-entirely", body, now), http.StatusBadRequest},
		"UnknownAttempt": {payments.Sign(paySecret, body, now), http.StatusNotFound},
	} {
		req, _ := http.NewRequest("POST", l.srv.URL+"/payments/notify", strings.NewReader(string(body)))
		req.Header.Set(payments.SignatureHeader, c.sig)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s, want %d", name, resp.Status, c.want)
		}
	}
	if len(l.paymentLines()) != 0 {
		t.Fatal("a refused notification paid")
	}
}

func TestPayCSPAllowsTheProvider(t *testing.T) {
	l, prov := payLib(t, paytest.Config{})
	p := l.browser().get("/")
	if csp := p.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+prov.URL()+";") {
		t.Fatalf("CSP %q", csp)
	}
}

// TestPayReturnWhileProviderDown: back from paying, the node cannot ask
// the provider; it says so and records nothing on the browser's word (the
// provider's notification, or the page reloaded later, settles it).
func TestPayReturnWhileProviderDown(t *testing.T) {
	l, prov := payLib(t, paytest.Config{SkipNotify: true})
	b := l.browser()
	b.login(annCard, annPIN)
	acct := b.get("/account")
	co := b.post("/account/pay", url.Values{"attempt": {attemptKey(t, acct.body)}})
	noFollow := *b.c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.PostForm(co.absURL, url.Values{"card": {paytest.CardSucceeds}, "action": {"pay"}})
	must(t, err)
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(back, l.srv.URL+"/account/pay/return?attempt=") {
		t.Fatalf("provider answered %s to %q", resp.Status, back)
	}
	prov.Close()
	p := b.get(strings.TrimPrefix(back, l.srv.URL))
	wantIn(t, p, "has not confirmed your payment yet")
	if len(l.paymentLines()) != 0 || l.balance() != 500 {
		t.Fatalf("recorded on the browser's word: %+v", l.paymentLines())
	}
}

// TestPayReturnAfterSessionLapsed: a patron whose session ended while
// paying logs in again and lands on the result of their payment.
func TestPayReturnAfterSessionLapsed(t *testing.T) {
	l, _ := payLib(t, paytest.Config{SkipNotify: true})
	b := l.browser()
	b.login(annCard, annPIN)
	acct := b.get("/account")
	key := attemptKey(t, acct.body)
	co := b.post("/account/pay", url.Values{"attempt": {key}})
	stranger := l.browser() // another browser: no session
	p := stranger.get("/account/pay/return?attempt=" + key)
	wantIn(t, p, `name="next" value="/account/pay/return?attempt=`+key+`"`)
	b.checkout(co, paytest.CardSucceeds)
	back := stranger.post("/login", url.Values{"cardnumber": {annCard}, "pin": {annPIN}, "next": {"/account/pay/return?attempt=" + key}})
	wantIn(t, back, "Thank you: €5.00 paid online.")
	if l.balance() != 0 || len(l.paymentLines()) != 2 {
		t.Fatalf("balance %d", l.balance())
	}
}
