package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"stacks/branch"
	"stacks/branch/patronprefs"
	"stacks/branch/privacy"
	"stacks/node/web"
)

func withPrivacy(c *web.Config) {
	svc := c.Library.(*branch.Service)
	c.Prefs = patronprefs.New(svc)
	c.Privacy = privacy.New(svc)
}

// TestPrivacyPage: the "your data" page says what is kept and for how
// long (at return by default, N days when the category says so, kept when
// the patron chooses), lets the patron keep their reading history, and
// downloads everything as JSON; in Finnish too; not without a login.
func TestPrivacyPage(t *testing.T) {
	l := newLib(t, withPrivacy)
	b := l.browser()
	p := b.get("/account/privacy")
	wantNotIn(t, p, "Download my data")
	b.login(annCard, annPIN)
	p = b.get("/account/privacy")
	wantStatus(t, p, 200)
	wantIn(t, p, `href="/account/privacy"`, "What we keep", "the link to you is removed when you return an item",
		"You do not keep your reading history.", `href="/account/privacy/export.json"`)
	must(t, privacy.New(l.svc).SetRetention(l.ctx, privacy.Retention{Category: l.ann.Category, Mode: privacy.ModeAfterDays, Days: 30}))
	p = b.get("/account/privacy")
	wantIn(t, p, "Kept for 30 days after you return an item")
	p = b.post("/account/privacy/history", url.Values{"keep": {"on"}})
	wantStatus(t, p, 200)
	wantIn(t, p, "Your reading history is kept from now on.", "Kept because you chose to keep your reading history")
	h, err := patronprefs.New(l.svc).ReadingHistory(l.ctx, l.ann.PatronID)
	must(t, err)
	if !h.Enabled {
		t.Fatal("the choice was not saved")
	}
	ex := b.get("/account/privacy/export.json")
	var got map[string]any
	if err := json.Unmarshal([]byte(ex.body), &got); err != nil || !strings.Contains(ex.hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %v %v", err, ex.hdr)
	}
	if pat, _ := got["patron"].(map[string]any); pat["cardnumber"] != annCard {
		t.Fatalf("export patron %v", got["patron"])
	}
	b.lang = "fi"
	p = b.get("/account/privacy")
	wantIn(t, p, "Tietosi", "Säilytät lainahistoriasi", "Lataa tietoni")
}
