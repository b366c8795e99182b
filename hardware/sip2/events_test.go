package sip2_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/hardware/sip2"
)

// eventTickets adapts branch/events to the ACS, as node does.
type eventTickets struct{ e *events.Service }

func (a eventTickets) IsTicket(s string) bool { return events.IsTicket(s) }

func (a eventTickets) CheckinTicket(ctx context.Context, ticket string) (string, bool, error) {
	c, err := a.e.Checkin(ctx, "", ticket)
	if err != nil {
		return "", false, err
	}
	return c.Registration.Event.Title, c.Already, nil
}

// TestEventTicketAtKiosk: a ticket scanned in place of the card (AA) of
// patron status (23) or patron information (63) checks the patron in,
// once; the screen (AF) says so, then that it already was; the answer
// opens no account (BL N); an unknown ticket is refused plainly.
func TestEventTicketAtKiosk(t *testing.T) {
	var ev *events.Service
	e := newEnv(t, func(c *sip2.Config) {
		ev = events.NewService(c.Library.(*branch.Service), events.Config{})
		c.Events = eventTickets{e: ev}
	})
	start := e.svc.Now().Add(time.Hour)
	evt, err := ev.Create(e.desk, domain.NewEvent{Title: "Lego club", LibraryID: "MAIN", Start: start.Format(time.RFC3339),
		End: start.Add(time.Hour).Format(time.RFC3339), Capacity: 5})
	must(t, err)
	reg, err := ev.Register(e.desk, evt.EventID, domain.EventRegistrationRequest{Cardnumber: "21000003"}, "en")
	must(t, err)
	c := e.dial()
	c.login()
	c.send(withAZ("2300020261123    100000AOSTACKS|AA"+reg.Ticket+"|AC|AY1AZ####") + "\r")
	got := c.read()
	if !strings.HasPrefix(got, "24") || !strings.Contains(got, "AFWelcome to Lego club: you are checked in.") || !strings.Contains(got, "|BLN|") {
		t.Fatalf("ticket at the kiosk: %q", got)
	}
	c.send(withAZ("6300020261123    100000          AOSTACKS|AA"+strings.ToLower(reg.Ticket)+"|AC|AY2AZ####") + "\r")
	if got := c.read(); !strings.HasPrefix(got, "64") || !strings.Contains(got, "already checked in") {
		t.Fatalf("ticket again: %q", got)
	}
	c.send(withAZ("2300020261123    100000AOSTACKS|AAEVT-AAAAAAAAAAAAAAAAAAAAAAAAAA|AC|AY3AZ####") + "\r")
	if got := c.read(); !strings.Contains(got, "AFThis ticket cannot be checked in") {
		t.Fatalf("unknown ticket: %q", got)
	}
	got2, err := ev.Event(e.desk, evt.EventID)
	must(t, err)
	if got2.CheckedIn != 1 || got2.Attendance != 1 {
		t.Fatalf("attendance: %+v", got2)
	}
}
