package web_test

import (
	"net/url"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/node/web"
)

// TestEventsPages: the list and the month calendar (filtered by branch
// and audience), an event page, registering with guests, the waitlist
// message in Finnish, my tickets with the QR code, cancelling; all plain
// forms (no script).
func TestEventsPages(t *testing.T) {
	var ev *events.Service
	l := newLib(t, func(c *web.Config) {
		ev = events.NewService(c.Library.(*branch.Service), events.Config{})
		c.Events = ev
	})
	start := l.svc.Now().Add(26 * time.Hour)
	mk := func(title, lib, aud string, capacity int) *domain.Event {
		e, err := ev.Create(l.ctx, domain.NewEvent{Title: title, LibraryID: lib, Audience: aud, Start: start.Format(time.RFC3339),
			End: start.Add(time.Hour).Format(time.RFC3339), Capacity: capacity, Room: "Room 1"})
		must(t, err)
		return e
	}
	lego := mk("Lego club", "MAIN", "children", 2)
	mk("Poetry night", "EAST", "adults", 10)
	b := l.browser()
	p := b.get("/events")
	wantStatus(t, p, 200)
	wantIn(t, p, "Lego club", "Poetry night", "Main Library", "2 seats free", "<table class=\"calendar\">")
	p = b.get("/events?library=EAST")
	wantIn(t, p, "Poetry night")
	wantNotIn(t, p, "Lego club")
	p = b.get("/events?audience=children&month=" + start.Format("2006-01"))
	wantIn(t, p, "Lego club")
	wantNotIn(t, p, "Poetry night")
	p = b.get("/events/" + lego.EventID)
	wantIn(t, p, "Lego club", "Log in to register")
	b.login(annCard, annPIN)
	p = b.get("/events/" + lego.EventID)
	wantIn(t, p, `action="/events/`+lego.EventID+`/register"`)
	p = b.post("/events/"+lego.EventID+"/register", url.Values{"guests": {"Tim\n\n"}})
	wantStatus(t, p, 200)
	wantIn(t, p, "You are registered. Show your ticket at the door.", "People: 2", "Cancel my registration")
	p = b.get("/account/events")
	wantIn(t, p, "Lego club", "<svg", "EVT-")
	// Bob, in Finnish, finds it full and joins the waitlist.
	bb := l.browser()
	bb.login(bobCard, bobPIN)
	bb.post("/language", url.Values{"lang": {"fi"}})
	p = bb.post("/events/"+lego.EventID+"/register", url.Values{"guest_count": {"x"}})
	wantStatus(t, p, 422)
	p = bb.post("/events/"+lego.EventID+"/register", url.Values{"guest_count": {"0"}})
	wantIn(t, p, "Tapahtuma on täynnä, joten olet jonossa.", "Olet jonossa.")
	// Ann cancels; Bob is promoted at once.
	p = b.post("/events/"+lego.EventID+"/cancel", url.Values{})
	wantIn(t, p, "Your registration is cancelled.")
	p = bb.get("/account/events")
	wantIn(t, p, "Olet ilmoittautunut.", "<svg")
	p = b.get("/events/nope")
	wantStatus(t, p, 404)
}
