package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// toggle ticks or unticks a check box: a click, or Tab to it and Space.
func (tb *tab) toggle(sel string) {
	tb.t.Helper()
	if tb.mode == keyboard {
		tb.focusByTab(sel)
		tb.run(chromedp.KeyEvent(" "))
		return
	}
	tb.run(chromedp.Click(chromedp.CSS(sel)))
}

// The search page's facets with the mouse, with scripts off and with the
// keyboard: tick a format, apply, see only that format, remove the filter.
func TestBrowserSearchFacets(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			l := facetLib(t)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/search?q=winter", ".facets")
			tb.check("search-facets")
			tb.toggle(`input[name=format][value=dvd]`)
			tb.activate(`form.refine button[type=submit]`, ".active")
			tb.wantText("#hits-h", "1 result")
			tb.wantText("ol.results", "Winter Kitchen")
			if got := tb.text("ol.results"); contains(got, "Winter Birds") {
				t.Fatalf("%s: filtered results still list Winter Birds: %q", m, got)
			}
			tb.check("search-filtered")
			tb.activate(`.active a.chip`, "#hits-h")
			tb.wantText("ol.results", "Winter Birds", "Winter Kitchen")
		})
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
