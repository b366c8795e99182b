package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"stacks/branch/help"
)

// TestBrowserHelp: with the mouse, without JavaScript and with the
// keyboard alone, a patron follows "Ask for help" from the header, sends
// a question and sees staff's answer on the request's page: with scripts
// on it appears by itself (help.js), without them after the refresh link.
// axe checks both pages.
func TestBrowserHelp(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run(string(m), func(t *testing.T) {
			var hs *help.Service
			l := newLib(t, withHelp(&hs))
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.activate(`header a[href="/help"]`, "#message")
			tb.check("help")
			tb.fill("#message", "Where are the atlases?")
			tb.activate(`form[action="/help"] button[type=submit]`, ".conversation")
			tb.wantText(".notices", "Your question is sent.")
			tb.wantText("#helpstatus", "waiting for an answer")
			tb.check("help-request")
			rs, err := hs.PatronRequests(context.Background(), l.ann.PatronID)
			must(t, err)
			if len(rs) != 1 || rs[0].Message != "Where are the atlases?" || rs[0].BranchID != "MAIN" {
				t.Fatalf("%s: requests %+v", m, rs)
			}
			must(t, hs.Answer(staffAnna, rs[0].RequestID, "Shelf 912, by the windows."))
			if m == mouse {
				// help.js shows it without a reload.
				tb.run(chromedp.WaitVisible(chromedp.CSS(".conversation li.staff")))
			} else {
				tb.activate(`a[href="/help/`+rs[0].RequestID+`"]`, ".conversation li.staff")
			}
			tb.wantText(".conversation", "Shelf 912, by the windows.")
			tb.wantText("#helpstatus", "Answered")
			if strings.Contains(tb.text("#helpstatus"), "waiting") {
				t.Errorf("%s: still waiting after the answer", m)
			}
			tb.check("help-answered")
			tb.fill("#reply", "Thanks")
			// The page already shows a notice (the question's): wait for the new one.
			tb.activate(`form[action$="/reply"] button[type=submit]`, ".conversation")
			tb.run(chromedp.WaitVisible(chromedp.Search(`//*[contains(@class,"notices")][contains(.,"Your reply is sent.")]`)))
			tb.wantText(".notices", "Your reply is sent.")
		})
	}
}
