package notify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"stacks/branch/notices"
)

// TestPrintLetters accepts print notices and renders them as letters to
// post: one a page, each in its language, on A4 or US letter.
func TestPrintLetters(t *testing.T) {
	n := mustNotifier(t, baseConfig())
	var msgs []notices.Message
	for _, lang := range []string{"en", "fi"} {
		for _, kind := range []string{notices.KindOverdue3, notices.KindDigest} {
			m := fixture(kind, lang)
			m.Channel, m.To = notices.ChannelPrint, ""
			if err := n.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
	}
	srv := httptest.NewServer(n.PrintHandler(func(context.Context, *http.Request) ([]notices.Message, error) { return msgs, nil }))
	defer srv.Close()
	get := func(q string) string {
		resp, err := http.Get(srv.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	page := get("/")
	if got := strings.Count(page, `<section class="letter"`); got != 4 {
		t.Fatalf("%d letters, want 4", got)
	}
	for _, w := range []string{"size: A4", "page-break-after: always", "4 letters to post", `lang="fi"`, "Hei Aino Ääninen",
		"Hello Aino Ääninen", "Viimeinen muistutus", "Final reminder", "24.12.2026", "24 Dec 2026", "&lt;script&gt;", "21000000000001"} {
		if !strings.Contains(page, w) {
			t.Errorf("the letters lack %q", w)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "/n/o/") {
		t.Error("a live script or a tracking pixel on paper")
	}
	if !strings.Contains(get("/?paper=letter"), "size: letter") {
		t.Error("no US letter size")
	}
}
