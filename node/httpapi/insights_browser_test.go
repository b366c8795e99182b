package httpapi_test

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"stacks/node/e2etest"
)

// TestInsightsPageInBrowser opens the staff insights page in headless
// Chromium, signed in as a supervisor, in English and in Finnish, at a
// desk's screen width and a phone's: the page shows its tables and charts,
// axe-core finds no WCAG 2.2 AA violation, and a screenshot of each goes to
// $STACKS_ARTEFACTS/insights (a temp dir when unset).
func TestInsightsPageInBrowser(t *testing.T) {
	f := newFixture(t)
	f.checkout("21000000000001", "B0001", asClerk)
	f.checkout("21000000000002", "B0002", asKiosk)
	f.checkout("21000000000001", "V0001", asClerk)
	day := start.Format("2006-01-02")
	browser := e2etest.Browser(t)
	shots := e2etest.Artefacts(t, "insights")
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("super:super"))
	for _, c := range []struct {
		lang, h1, book, rate string
		width, height        int64
	}{
		{"en", "Insights", "Book", "0.67", 1280, 900},
		{"fi", "Tilastot", "Kirja", "0,67", 1280, 900},
		{"en", "Insights", "Book", "0.67", 390, 844},
	} {
		ctx, cancel := chromedp.NewContext(browser)
		ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
		err := chromedp.Do(ctx,
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
					return err
				}
				_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
				return err
			}),
			chromedp.EmulateViewport(c.width, c.height),
			chromedp.Navigate(f.srv.URL+"/insights?from="+day+"&to="+day+"&library_id=*&lang="+c.lang),
			chromedp.WaitVisible(chromedp.CSS("#turnover")))
		if err != nil {
			t.Fatalf("%s: %v", c.lang, err)
		}
		text := func(sel string) string {
			s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			if err != nil {
				t.Fatalf("%s: %s: %v", c.lang, sel, err)
			}
			return s
		}
		if h := text("h1"); !strings.HasPrefix(h, c.h1) {
			t.Errorf("%s: h1 %q", c.lang, h)
		}
		if tv := text("#turnover"); !strings.Contains(tv, c.book) || !strings.Contains(tv, c.rate) {
			t.Errorf("%s: turnover table %q, want %s at %s", c.lang, tv, c.book, c.rate)
		}
		svgs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg rect").length`))
		if err != nil || svgs == 0 {
			t.Errorf("%s: %d bars in the charts (%v)", c.lang, svgs, err)
		}
		// Nothing wider than the window: the page scrolls down, not across.
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil || wide {
			t.Errorf("%s at %dpx: the page is wider than the window (%v)", c.lang, c.width, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(shots, "insights-"+c.lang+"-"+strconv.FormatInt(c.width, 10)+".png")
		if err := os.WriteFile(name, png, 0o644); err != nil {
			t.Fatal(err)
		}
		if v := e2etest.Axe(t, ctx); v != "[]" {
			t.Errorf("%s at %dpx: axe found WCAG 2.2 AA violations: %s", c.lang, c.width, v)
		}
		cancelT()
		cancel()
	}
}
