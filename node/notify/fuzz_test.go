package notify_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"stacks/branch/notices"
)

// FuzzLinkTokens feeds arbitrary tokens to the link endpoints: none
// panics, none redirects or records anything unless it is a token the
// notifier signed.
func FuzzLinkTokens(f *testing.F) {
	tr := &recTracker{}
	c := baseConfig()
	c.Tracker = tr
	n := mustNotifier(f, c)
	h := n.Handler()
	// Seeds: real tokens of every purpose, taken from a rendered email.
	r, err := n.Render(fixture(notices.KindPreDue, "en"))
	if err != nil {
		f.Fatal(err)
	}
	for _, part := range strings.Split(r.HTML, "/n/") {
		if len(part) > 2 && part[1] == '/' {
			f.Add(part[2:strings.IndexAny(part, `"<`)])
		}
	}
	f.Add("n1.e30.")
	f.Add("n1..")
	f.Add("n1.eyJ0IjoiYyIsInUiOiJodHRwczovL2V2aWwuZXhhbXBsZSJ9.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		tr.mu.Lock()
		before := len(tr.clicked)
		tr.mu.Unlock()
		for _, path := range []string{"/n/c/", "/n/o/", "/n/u/"} {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL = &url.URL{Path: path + tok}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if loc := w.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "https://library.example.org/") {
				t.Fatalf("%s%q redirects to %q", path, tok, loc)
			}
		}
		tr.mu.Lock()
		after := len(tr.clicked)
		tr.mu.Unlock()
		if after != before && !strings.HasPrefix(tok, "n1.") {
			t.Fatalf("%q recorded a click", tok)
		}
	})
}
