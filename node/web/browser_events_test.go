package web_test

import (
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/node/web"
)

// TestBrowserEvents: in headless Chromium, by mouse and by keyboard, the
// events list and calendar, an event page, logging in, registering with a
// guest and seeing the ticket's QR code; each page passes axe.
func TestBrowserEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	h := newHarness(t)
	for _, m := range modes {
		t.Run("events/"+string(m), func(t *testing.T) {
			var ev *events.Service
			l := newLib(t, func(c *web.Config) {
				ev = events.NewService(c.Library.(*branch.Service), events.Config{})
				c.Events = ev
			})
			start := l.svc.Now().Add(26 * time.Hour)
			e, err := ev.Create(l.ctx, domain.NewEvent{Title: "Lego club", LibraryID: "MAIN", Audience: "children", Start: start.Format(time.RFC3339),
				End: start.Add(time.Hour).Format(time.RFC3339), Capacity: 5, Room: "Activity room"})
			must(t, err)
			tb := h.tab(t, m, l.srv.URL)
			tb.open("/events", "table.calendar")
			tb.wantText("ul.results", "Lego club", "5 seats free")
			tb.check("events")
			tb.activate(`ul.results a[href="/events/`+e.EventID+`"]`, `a[href="/events"]`)
			tb.check("event")
			tb.open("/login", "#cardnumber")
			tb.login(annCard, annPIN, "#loans")
			tb.open("/events/"+e.EventID, "#ev-count")
			tb.fill("#ev-count", "1")
			tb.activate(`form[action$="/register"] button`, ".notices")
			tb.wantText(".notices", "You are registered")
			tb.check("event-registered")
			tb.activate(`header a[href="/account/events"]`, ".qr svg")
			tb.wantText(".cardno", "EVT-")
			tb.check("tickets")
		})
	}
}
