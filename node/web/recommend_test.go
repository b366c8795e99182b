package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/branch/recommend"
	"stacks/node/web"
)

// recommender joins branch/recommend and the opt-in, as the node does.
type recommender struct {
	*recommend.Service
	prefs *patronprefs.Service
}

func (r recommender) Suggestions(ctx context.Context, pid string) (bool, error) {
	return r.prefs.Suggestions(ctx, pid)
}

func (r recommender) SetSuggestions(ctx context.Context, pid string, on bool) error {
	return r.prefs.SetSuggestions(ctx, pid, on)
}

func withRecommend(c *web.Config) {
	svc := c.Library.(*branch.Service)
	c.Recommend = recommender{Service: recommend.New(svc), prefs: patronprefs.New(svc)}
	c.Prefs = patronprefs.New(svc)
}

// TestTitlePageAlsoBorrowed: the title page shows "also borrowed" once 5
// distinct patrons borrowed both titles, not at 4; in Finnish too. A
// patron who opted in sees their own suggestions on the account page, one
// who did not sees none.
func TestTitlePageAlsoBorrowed(t *testing.T) {
	l, dune, both, cards := alsoLib(t)
	for _, c := range cards[1:5] {
		both(c)
	}
	b := l.browser()
	p := b.get("/titles/" + l.novel.BiblioID)
	wantStatus(t, p, http.StatusOK)
	wantNotIn(t, p, "Patrons who borrowed this also borrowed", "Dune Messiah")
	both(cards[5])
	p = b.get("/titles/" + l.novel.BiblioID)
	wantIn(t, p, "Patrons who borrowed this also borrowed", `href="/titles/`+dune.BiblioID+`"`, "Dune Messiah")
	p = b.get("/titles/" + dune.BiblioID)
	wantIn(t, p, "The Long Winter")
	fi := l.browser()
	fi.lang = "fi"
	wantIn(t, fi.get("/titles/"+l.novel.BiblioID), "Tämän lainanneet lainasivat myös")

	// Ann borrowed the novel: no suggestions until she turns them on.
	l.lend(annCard, "N2")
	ann := l.browser()
	ann.login(annCard, annPIN)
	wantNotIn(t, ann.get("/account"), "Suggestions for you")
	p = ann.get("/account/preferences")
	wantIn(t, p, "Suggestions for me", "Suggestions are off.", "Turn suggestions on")
	p = ann.post("/account/preferences/suggestions", url.Values{"enabled": {"on"}})
	wantStatus(t, p, http.StatusOK)
	wantIn(t, p, "Suggestions for you are now on.", "Turn suggestions off")
	p = ann.get("/account")
	wantIn(t, p, "Suggestions for you", `href="/titles/`+dune.BiblioID+`"`)
	ann.post("/account/preferences/suggestions", url.Values{})
	wantNotIn(t, ann.get("/account"), "Suggestions for you")
}

// TestBrowserRecommendations: the title page's "also borrowed" and the
// account's suggestions in Chromium, checked by axe (WCAG 2.2 AA).
func TestBrowserRecommendations(t *testing.T) {
	h := newHarness(t)
	l, _, both, cards := alsoLib(t)
	for _, c := range cards[1:] {
		both(c)
	}
	l.lend(annCard, "N2")
	tb := h.tab(t, mouse, l.srv.URL)
	tb.open("/titles/"+l.novel.BiblioID, "#also")
	tb.wantText("#also", "Patrons who borrowed this also borrowed")
	tb.check("recommend_title")
	tb.open("/login", "#cardnumber")
	tb.login(annCard, annPIN, "h1")
	tb.open("/account/preferences", "#suggestionsh")
	tb.check("recommend_prefs")
	tb.activate(`form[action="/account/preferences/suggestions"] button[type=submit]`, "#suggestionsh")
	tb.open("/account", "#suggested")
	tb.wantText(`section[aria-labelledby="suggested"]`, "Suggestions for you", "Dune Messiah")
	tb.check("recommend_account")
}

// alsoLib is the web's library with a second title, Dune Messiah (one
// copy), and four more patrons; both(card) has a patron borrow and return
// the novel's N1 and Dune Messiah.
func alsoLib(t *testing.T) (*lib, *domain.Biblio, func(card string), []string) {
	t.Helper()
	l := newLib(t, withRecommend)
	dune := l.title(domain.NewBiblio{Title: "Dune Messiah", Authors: []string{"Herbert, Frank"}, Format: "book"})
	l.item(dune, "D1", "MAIN", "F HER")
	cards := []string{annCard, bobCard}
	for i := range 4 {
		card := fmt.Sprintf("2100000000900%d", i)
		_, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: card, Firstname: "Reader", Surname: fmt.Sprint(i), Category: "ADULT", PIN: "4321", HomeBranch: "MAIN"})
		must(t, err)
		cards = append(cards, card)
	}
	both := func(card string) {
		for _, code := range []string{"N1", "D1"} {
			l.lend(card, code)
			l.env.Clock.Advance(60e9)
			_, err := l.svc.Checkin(l.ctx, domain.CheckinRequest{Barcode: code})
			must(t, err)
		}
	}
	return l, dune, both, cards
}
