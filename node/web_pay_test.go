package node_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"stacks/node/nodetest"
	"stacks/node/payments/paytest"
)

// branchd with a payment provider configured offers it (the CSP lets the
// payment form lead there, and notifications are verified); without one,
// the notification endpoint is not there.
func TestBranchdWiresPayments(t *testing.T) {
	prov, err := paytest.Start("127.0.0.1:0", paytest.Config{Secret: "secret-shared-with-provider", Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer prov.Close()
	for _, c := range []struct {
		url        string
		csp        bool
		notifyWant int
	}{{prov.URL(), true, http.StatusBadRequest}, {"", false, http.StatusNotFound}} {
		cfg := branchConfig(t, &logBuffer{})
		cfg.PaymentURL = c.url
		if c.url != "" {
			cfg.PaymentSecret = "secret-shared-with-provider"
		}
		n := nodetest.Start(t, cfg)
		resp, err := http.Get("http://" + n.Addr() + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := strings.Contains(resp.Header.Get("Content-Security-Policy"), prov.URL()); got != c.csp {
			t.Errorf("provider %q: CSP %q", c.url, resp.Header.Get("Content-Security-Policy"))
		}
		resp, err = http.Post("http://"+n.Addr()+"/payments/notify", "application/json", strings.NewReader(`{"id":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.notifyWant {
			t.Errorf("provider %q: notify answered %d, want %d", c.url, resp.StatusCode, c.notifyWant)
		}
	}
}
