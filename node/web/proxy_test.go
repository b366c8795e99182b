package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"stacks/node/web"
)

// serve sends a request as if from peer, with headers, to the web.
func serve(h http.Handler, method, path, peer string, hdr map[string]string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.RemoteAddr = peer
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func sessionCookie(tb testing.TB, w *httptest.ResponseRecorder) *http.Cookie {
	tb.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == "stacks_session" {
			return c
		}
	}
	tb.Fatalf("no session cookie; status %d", w.Code)
	return nil
}

// Behind a trusted TLS-terminating proxy, X-Forwarded-Proto: https makes
// the cookies Secure; from any other peer the header is ignored.
func TestSecureCookieBehindTrustedProxy(t *testing.T) {
	l := newLib(t, func(c *web.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")} })
	h := l.web.Handler()
	https := map[string]string{"X-Forwarded-Proto": "https"}
	for _, tc := range []struct {
		name   string
		peer   string
		hdr    map[string]string
		secure bool
	}{
		{"trusted proxy, https", "10.9.3.4:5555", https, true},
		{"trusted proxy, http", "10.9.3.4:5555", map[string]string{"X-Forwarded-Proto": "http"}, false},
		{"trusted proxy, no header", "10.9.3.4:5555", nil, false},
		{"untrusted peer claiming https", "203.0.113.9:5555", https, false},
		{"trusted proxy over IPv4-mapped IPv6", "[::ffff:10.9.0.1]:5555", https, true},
	} {
		c := sessionCookie(t, serve(h, "GET", "/login", tc.peer, tc.hdr, nil))
		if c.Secure != tc.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: Secure %v HttpOnly %v SameSite %v, want Secure %v", tc.name, c.Secure, c.HttpOnly, c.SameSite, tc.secure)
		}
	}
}

// The login rate limit keys on X-Forwarded-For only from a trusted proxy:
// through the proxy, two clients are limited apart; an untrusted peer
// cannot escape its limit by claiming other addresses.
func TestLoginRateLimitBehindTrustedProxy(t *testing.T) {
	l := newLib(t, func(c *web.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}
		c.LoginBurst, c.LoginRate = 2, 0.001
	})
	h := l.web.Handler()
	// attempt tries a wrong PIN from peer with an X-Forwarded-For and
	// answers the status.
	attempt := func(peer, xff string) int {
		t.Helper()
		get := serve(h, "GET", "/login", peer, nil, nil)
		c := sessionCookie(t, get)
		tok := csrfField.FindStringSubmatch(get.Body.String())[1]
		hdr := map[string]string{"Cookie": c.Name + "=" + c.Value}
		if xff != "" {
			hdr["X-Forwarded-For"] = xff
		}
		return serve(h, "POST", "/login", peer, hdr, url.Values{"csrf": {tok}, "cardnumber": {"no-such-card"}, "pin": {"0000"}}).Code
	}
	const proxy = "10.9.0.1:4000"
	// Client A through the proxy uses its burst, then is limited.
	for i := range 2 {
		if code := attempt(proxy, "198.51.100.1"); code != http.StatusUnauthorized {
			t.Fatalf("client A attempt %d: %d", i, code)
		}
	}
	if code := attempt(proxy, "198.51.100.1"); code != http.StatusTooManyRequests {
		t.Fatalf("client A over the limit: %d, want 429", code)
	}
	// Client B through the same proxy is not (the forged left-most hop is
	// ignored: the proxy appended B's real address).
	if code := attempt(proxy, "198.51.100.1, 198.51.100.2"); code != http.StatusUnauthorized {
		t.Fatalf("client B through the proxy: %d, want 401", code)
	}
	// An untrusted peer is limited by its own address whatever it claims.
	for i, xff := range []string{"192.0.2.1", "192.0.2.2"} {
		if code := attempt("203.0.113.9:1", xff); code != http.StatusUnauthorized {
			t.Fatalf("untrusted attempt %d: %d", i, code)
		}
	}
	if code := attempt("203.0.113.9:1", "192.0.2.3"); code != http.StatusTooManyRequests {
		t.Fatalf("an untrusted peer escaped its limit with X-Forwarded-For: %d", code)
	}
}
