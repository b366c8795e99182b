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
