package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"stacks/branch/domain"
	"stacks/branch/handoff"
	"stacks/branch/patronprefs"
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

// chooseRadio picks a radio button: a click, or with the keyboard Tab to
// its group (which lands on the checked one, or the first) and the arrow
// keys to it.
func (tb *tab) chooseRadio(group, value string) {
	tb.t.Helper()
	sel := fmt.Sprintf(`input[name=%s][value=%q]`, group, value)
	if tb.mode != keyboard {
		tb.run(chromedp.Click(chromedp.CSS(sel)))
		return
	}
	tb.focusByTab(fmt.Sprintf(`input[name=%s]`, group))
	if !get(tb, chromedp.Evaluate[bool](`document.activeElement.checked`)) {
		tb.run(chromedp.KeyEvent(" "))
	}
	for range 10 {
		if get(tb, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked`, sel))) {
			return
		}
		tb.run(chromedp.KeyEvent(kb.ArrowDown))
	}
	tb.t.Fatalf("keyboard: the arrows never choose %s", sel)
}

// The account's other pages with the mouse, with scripts off and with the
// keyboard, axe on each: preferences (reading history on, messaging
// saved), a handoff code, and an e-loan borrowed, seen and returned.
func TestBrowserAccountPages(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run("preferences/"+string(m), func(t *testing.T) {
			l := newLib(t, withPrefs)
			email := "ann@example.org"
			_, err := l.svc.UpdatePatron(l.ctx, l.ann.PatronID, domain.PatronUpdate{Email: &email})
			must(t, err)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.activate(`header a[href="/account/preferences"]`, "#historyh")
			tb.check("preferences")
			tb.activate(`form[action="/account/preferences/history"] button`, `a[href="/account/preferences/history.csv"]`)
			tb.wantText("main", "Your reading history is kept")
			tb.chooseRadio("digest", "on")
			tb.activate(`form[action="/account/preferences/messaging"] button[type=submit]`, `input[name=digest][value=on][checked]`)
			tb.wantText(".notices", "Your message preferences have been saved.")
			tb.check("preferences-saved")
			mp, err := patronprefs.New(l.svc).Messaging(l.ctx, l.ann.PatronID)
			must(t, err)
			if !mp.Digest {
				t.Fatalf("%s: the digest was not saved: %+v", m, mp)
			}
		})
		t.Run("handoff/"+string(m), func(t *testing.T) {
			var hs *handoff.Service
			l := newLib(t, withHandoff(&hs))
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.activate(`header a[href="/account/handoff"]`, `form[action="/account/handoff"]`)
			tb.check("handoff")
			tb.chooseRadio("intent", "pay_at_desk")
			tb.activate(`form[action="/account/handoff"] button[type=submit]`, ".qr svg")
			tb.wantText("#codeh", "Pay at the desk")
			tb.check("handoff-code")
			code := strings.ReplaceAll(tb.text(".cardno"), "-", "")
			red, err := hs.Redeem(context.Background(), code)
			must(t, err)
			if red.PatronID != l.ann.PatronID || red.Intent != "pay_at_desk" {
				t.Fatalf("%s: redeemed %+v", m, red)
			}
		})
		t.Run("e-loan/"+string(m), func(t *testing.T) {
			l := newLib(t)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login?next=/titles/"+l.ebook.BiblioID, "#cardnumber")
			tb.login(annCard, annPIN, "#eloan")
			tb.check("title-ebook")
			tb.activate(`form[action$="/borrow"] button`, ".notices")
			tb.wantText(".notices", "is yours to read until")
			tb.activate(`a[href="/account#eloans"]`, "#eloans")
			tb.wantText("#eloans", "E-loans (1)")
			tb.check("account-eloans")
			tb.activate(`form[action$="/return"] button`, ".notices")
			tb.wantText(".notices", "“Winter Stories” is returned.")
			tb.wantText("#eloans", "E-loans (0)")
		})
	}
}

// TestBrowserPrivacyPage: the "your data" page by mouse and keyboard,
// checked by axe; the patron chooses to keep their reading history.
func TestBrowserPrivacyPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			l := newLib(t, withPrivacy)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.activate(`header a[href="/account/privacy"]`, "#keptH")
			tb.check("privacy")
			tb.activate(`form[action="/account/privacy/history"] button`, `input[name=keep]:not([value]), #choiceH`)
			tb.wantText(".notices", "Your reading history is kept from now on.")
			tb.check("privacy-kept")
			hist, err := patronprefs.New(l.svc).ReadingHistory(l.ctx, l.ann.PatronID)
			must(t, err)
			if !hist.Enabled {
				t.Fatalf("%s: the choice was not saved", m)
			}
		})
	}
}
