package web_test

import (
	"testing"

	"stacks/node/payments/paytest"
)

// TestBrowserPay pays Ann's fees online in Chromium, through the test
// provider's checkout page, with the mouse, with JavaScript off and with
// the keyboard alone; axe checks the account pages and the checkout page.
func TestBrowserPay(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run("pay-fees/"+string(m), func(t *testing.T) {
			l, prov := payLib(t, paytest.Config{})
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#fees")
			tb.wantText("#fees ~ p", "€5.00")
			tb.check("account-fees")
			tb.activate(`form[action="/account/pay"] button[type=submit]`, "#card")
			tb.wantText("h1", "Pay EUR 5.00")
			tb.check("pay-checkout")
			tb.fill("#card", paytest.CardSucceeds)
			tb.activate(`button[value=pay]`, ".notices")
			tb.wantText(".notices", "Thank you: €5.00 paid online.")
			tb.check("account-paid")
			if l.balance() != 0 || len(l.paymentLines()) != 2 || prov.Creates() != 1 {
				t.Fatalf("balance %d, payments %d, provider payments %d", l.balance(), len(l.paymentLines()), prov.Creates())
			}
		})
	}
}

// TestBrowserSelfRegister registers a new patron in Chromium and shows
// their digital card, with the mouse, with JavaScript off and with the
// keyboard alone; axe checks the form, the welcome page and the card.
func TestBrowserSelfRegister(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run("self-register/"+string(m), func(t *testing.T) {
			l := selfLib(t)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.activate(`a[href="/register"]`, "#firstname")
			tb.check("register")
			tb.fill("#firstname", "Cora")
			tb.fill("#surname", "Case")
			tb.fill("#date_of_birth", "04011988") // a date field takes mm dd yyyy in en-US
			tb.fill("#email", "cora@example.org")
			tb.fill("#pin", "2468")
			tb.fill("#pin_again", "2468")
			tb.activate(`form[action="/register"] button[type=submit]`, ".cardno")
			tb.wantText("main", "Welcome, Cora!")
			tb.check("registered")
			card := tb.text(".cardno")
			if p, err := l.svc.PatronByCard(l.ctx, card); err != nil || p.DateOfBirth != "1988-04-01" {
				t.Fatalf("registered %+v, %v", p, err)
			}
			tb.activate(`main a[href="/account/card"]`, ".card svg")
			tb.wantText(".cardno", card)
			tb.check("registered-card")
		})
	}
}
