package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/node/web"
)

func withPrefs(c *web.Config) { c.Prefs = patronprefs.New(c.Library.(*branch.Service)) }

// TestPreferencesPage: reading history is off by default, turned on,
// exported as CSV and JSON, deleted; messaging preferences are saved and
// bad ones refused; every change is an op on channel web; Finnish too; a
// POST without the CSRF token changes nothing.
func TestPreferencesPage(t *testing.T) {
	l := newLib(t, withPrefs)
	b := l.browser()
	b.login(annCard, annPIN)
	p := b.get("/account/preferences")
	wantStatus(t, p, 200)
	wantIn(t, p, "Your reading history is not kept.", `name="notice" value="hold_ready" checked`, `value="email" checked`,
		`href="/account/preferences"`)
	wantNotIn(t, p, "Export as CSV")

	before := len(l.ops(patronprefs.KindSet))
	wantStatus(t, b.postRaw("/account/preferences/history", url.Values{"enabled": {"on"}}), 403)
	if len(l.ops(patronprefs.KindSet)) != before {
		t.Fatal("a POST without CSRF changed the preferences")
	}
	b.get("/account/preferences")
	p = b.post("/account/preferences/history", url.Values{"enabled": {"on"}})
	wantStatus(t, p, 200)
	wantIn(t, p, "Your reading history is now kept.", "Nothing returned since then yet.", "Export as CSV")

	l.env.Clock.Advance(time.Minute)
	l.lend(annCard, "N1")
	_, err := l.svc.Checkin(l.ctx, domain.CheckinRequest{Barcode: "N1"})
	must(t, err)
	p = b.get("/account/preferences")
	wantIn(t, p, "The Long Winter")
	csv := b.get("/account/preferences/history.csv")
	if csv.hdr.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(csv.body, "The Long Winter,N1,") {
		t.Errorf("csv export: %v\n%s", csv.hdr, csv.body)
	}
	var h domain.ReadingHistory
	js := b.get("/account/preferences/history.json")
	if err := json.Unmarshal([]byte(js.body), &h); err != nil || len(h.Entries) != 1 {
		t.Errorf("json export: %v %s", err, js.body)
	}
	b.get("/account/preferences")
	p = b.post("/account/preferences/history/delete", nil)
	wantIn(t, p, "Your reading history has been deleted.", "Nothing returned since then yet.")

	p = b.post("/account/preferences/messaging", url.Values{"channel": {"sms"}, "days": {"2"}, "notice": {"overdue"}})
	wantStatus(t, p, 422)
	wantIn(t, p, "could not be saved", `value="sms" checked`)
	p = b.post("/account/preferences/messaging", url.Values{"channel": {"email"}, "days": {"40"}, "notice": {"overdue"}})
	wantStatus(t, p, 422)
	_, err = l.svc.UpdatePatron(l.ctx, l.ann.PatronID, domain.PatronUpdate{Phone: ptr("+358 40 123 4567")})
	must(t, err)
	p = b.post("/account/preferences/messaging", url.Values{"channel": {"sms"}, "days": {"2"}, "digest": {"on"}, "notice": {"overdue", "pre_due"}})
	wantStatus(t, p, 200)
	wantIn(t, p, "Your message preferences have been saved.", `value="sms" checked`, `name="notice" value="overdue" checked`,
		`name="notice" value="pre_due" checked`, `value="on" checked`, `value="2"`)
	wantNotIn(t, p, `name="notice" value="hold_ready" checked`)
	for _, op := range l.ops(patronprefs.KindSet) {
		if op.Channel != "web" || op.Actor != "patron:"+l.ann.PatronID {
			t.Errorf("op %s by %s on %s", op.Kind, op.Actor, op.Channel)
		}
	}

	b.lang = "fi"
	p = b.get("/account/preferences")
	wantIn(t, p, "Lainaushistoria", "Tekstiviestillä", "Laina on myöhässä")

	// Bob sees his own, untouched.
	bob := l.browser()
	bob.login(bobCard, bobPIN)
	p = bob.get("/account/preferences")
	wantIn(t, p, "Your reading history is not kept.", `value="email" checked`)
	// Logged out, the pages ask for a login.
	anon := l.browser()
	p = anon.get("/account/preferences/history.csv")
	wantNotIn(t, p, "The Long Winter")
}

// TestPreferencesNoticesTranslated: every notice has its words in every
// language.
func TestPreferencesNoticesTranslated(t *testing.T) {
	l := newLib(t, withPrefs)
	for _, lang := range []string{"en", "fi"} {
		b := l.browser()
		b.lang = lang
		b.login(annCard, annPIN)
		p := b.get("/account/preferences")
		for _, n := range domain.Notices {
			if strings.Contains(p.body, "prefs.notice."+n) {
				t.Errorf("%s: notice %s has no words", lang, n)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
