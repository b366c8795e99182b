package tui_test

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/node/client/clienttest"
)

// TestEventsScreen: F8 lists today's events at the desk's branch with
// their seats and registrations; a scanned ticket is checked in once, and
// scanned again the screen says "already checked in".
func TestEventsScreen(t *testing.T) {
	srv := clienttest.New(t, clienttest.Options{})
	ev := events.NewService(srv.Service, events.Config{})
	start := srv.Clock.Now().Add(2 * time.Hour)
	e, err := ev.Create(srv.Admin, domain.NewEvent{Title: "Story time", LibraryID: "MAIN", Start: start.Format(time.RFC3339),
		End: start.Add(time.Hour).Format(time.RFC3339), Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	var tickets []string
	for _, name := range []string{"Alice", "Bob"} {
		r, err := ev.Register(srv.Admin, e.EventID, domain.EventRegistrationRequest{PatronID: srv.Patrons[name].PatronID}, "en")
		if err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, r.Ticket)
	}
	d := newDeskOn(t, srv, "clerk", deskOpts{w: 100, h: 24})
	d.key(tea.KeyF8)
	d.waitFor("Story time", "1/1 seats, 1 waiting", "waitlist 1")
	d.scan(tickets[0])
	d.waitFor("✓ checked in:", "checked in 1 (1 people)")
	d.scan(tickets[0])
	d.waitFor("already checked in:")
	d.scan(tickets[1])
	d.waitFor("waitlist")
	got, err := ev.Event(srv.Admin, e.EventID)
	if err != nil || got.CheckedIn != 1 {
		t.Fatalf("attendance: %+v %v", got, err)
	}
}
