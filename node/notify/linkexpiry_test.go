package notify_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"stacks/branch/notices"
	"stacks/replicate/clock"
)

// TestLinksExpire: the pixel, a tracked link and the unsubscribe link of a
// notice work until LinkTTL after it was written (the clock injected),
// and after it the pixel records nothing while the links answer 410 with a
// page in the patron's language that says so.
func TestLinksExpire(t *testing.T) {
	tr := &recTracker{}
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	c := baseConfig()
	srv := httptest.NewServer(nil)
	defer srv.Close()
	c.PublicURL, c.Tracker, c.Clock, c.LinkTTL = srv.URL, tr, clk, 90*24*time.Hour
	n, p := sendAndParse(t, c, fixture(notices.KindPreDue, "fi"))
	srv.Config.Handler = n.Handler()
	pix := between(p.HTML, srv.URL+"/n/o/", `"`)
	link := between(p.HTML, srv.URL+"/n/c/", `"`)
	unsub := between(p.HTML, srv.URL+"/n/u/", `"`)
	if pix == "" || link == "" || unsub == "" {
		t.Fatalf("links missing: %q %q %q", pix, link, unsub)
	}
	get := func(u string) (int, string) {
		t.Helper()
		resp, err := noRedirect().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// A day before the end: everything works.
	clk.Advance(89 * 24 * time.Hour)
	if code, _ := get(link); code != http.StatusFound {
		t.Fatalf("click within 90 days: %d", code)
	}
	if code, _ := get(pix); code != 200 || len(tr.opened) != 1 {
		t.Fatalf("pixel within 90 days: %d, opened %v", code, tr.opened)
	}
	if code, body := get(unsub); code != 200 || !strings.Contains(body, "<form") {
		t.Fatalf("unsubscribe page within 90 days: %d", code)
	}

	// Past the end: the pixel is still a GIF but records nothing; the
	// links say they expired, in Finnish, and redirect nowhere.
	clk.Advance(24 * time.Hour)
	if code, body := get(pix); code != 200 || !strings.HasPrefix(body, "GIF89a") || len(tr.opened) != 1 {
		t.Fatalf("expired pixel: %d, opened %v", code, tr.opened)
	}
	for _, u := range []string{link, unsub} {
		code, body := get(u)
		if code != http.StatusGone || !strings.Contains(body, "vanhentunut") || !strings.Contains(body, "90 päivää") ||
			!strings.Contains(body, `lang="fi"`) || strings.Contains(body, "<form") {
			t.Fatalf("%s expired: %d %s", u, code, body)
		}
	}
	if len(tr.clicked) != 1 {
		t.Fatalf("an expired link was recorded: %v", tr.clicked)
	}
	resp, err := http.PostForm(unsub, map[string][]string{"List-Unsubscribe": {"One-Click"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Fatalf("expired one-click POST: %d", resp.StatusCode)
	}
}
