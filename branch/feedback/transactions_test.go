package feedback_test

import (
	"context"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/branch/help"
)

// TestEventAttendedInvites: checking a ticket in (at a kiosk here)
// invites its patron about the event, on that channel; a second scan
// invites nobody again; the invitation is offered only while the check-in
// stands (the registration cancelled since, it is not).
func TestEventAttendedInvites(t *testing.T) {
	e := open(t, 1, time.Hour)
	e.fb.Register(domain.FeedbackEvent, events.AttendedStands)
	ev := events.NewService(e.Service, events.Config{})
	ev.SetFeedback(e.fb)
	must(t, e.Service.SetLibrary(e.ctx, domain.Library{BranchID: "EAST", Name: "East"}))
	start := branchtest.Monday.Add(time.Hour)
	x, err := ev.Create(e.ctx, domain.NewEvent{Title: "Lego club", LibraryID: "EAST", Start: start.Format(time.RFC3339),
		End: start.Add(time.Hour).Format(time.RFC3339), Capacity: 5})
	must(t, err)
	r, err := ev.Register(e.ctx, x.EventID, domain.EventRegistrationRequest{PatronID: e.alice.PatronID}, "en")
	must(t, err)
	if pend, _ := e.fb.Pending(e.ctx, e.alice.PatronID); len(pend) != 0 {
		t.Fatalf("invited before attending: %+v", pend)
	}
	kiosk := domain.WithActor(context.Background(), domain.Actor{ID: "kiosk1", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	_, err = ev.Checkin(kiosk, "", r.Ticket)
	must(t, err)
	pend, err := e.fb.Pending(e.ctx, e.alice.PatronID)
	must(t, err)
	if len(pend) != 1 || pend[0].Kind != domain.FeedbackEvent || pend[0].Ref != r.RegistrationID || pend[0].Channel != domain.ChannelKiosk ||
		pend[0].LibraryID != "EAST" {
		t.Fatalf("pending %+v", pend)
	}
	c, err := ev.Checkin(kiosk, "", r.Ticket)
	must(t, err)
	if !c.Already {
		t.Fatal("the second scan checked in again")
	}
	_, err = ev.Unregister(e.ctx, x.EventID, r.RegistrationID)
	must(t, err)
	if pend, _ := e.fb.Pending(e.ctx, e.alice.PatronID); len(pend) != 0 {
		t.Fatalf("offered after the registration was cancelled: %+v", pend)
	}
}

// TestHelpClosedInvites: staff closing an identified patron's request
// invites the patron, on the request's channel; the patron withdrawing
// their own request, or closing an anonymous one, invites nobody.
func TestHelpClosedInvites(t *testing.T) {
	e := open(t, 1, time.Nanosecond) // no limit per patron here
	e.fb.Register(domain.FeedbackHelp, help.ClosedStands)
	h := help.New(e.Service, nil)
	h.SetFeedback(e.fb)
	web := e.patronCtx(domain.ChannelWeb)

	own, err := h.AskFor(web, "web", e.alice.PatronID, "I will find it myself")
	must(t, err)
	must(t, h.Close(web, own))
	if pend, _ := e.fb.Pending(e.ctx, e.alice.PatronID); len(pend) != 0 {
		t.Fatalf("invited for withdrawing a request: %+v", pend)
	}
	kiosk := domain.WithActor(context.Background(), domain.Actor{ID: "kiosk1", Role: domain.RoleKiosk, Channel: domain.ChannelKiosk})
	anon, err := h.Open(kiosk, help.Ask{Channel: "kiosk", Message: "The printer is jammed"})
	must(t, err)
	must(t, h.Close(e.ctx, anon))

	id, err := h.AskFor(web, "web", e.alice.PatronID, "How do I borrow e-books?")
	must(t, err)
	desk := domain.WithActor(context.Background(), domain.Actor{ID: "clerk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	must(t, h.Answer(desk, id, "Through the web page of the title."))
	must(t, h.Close(desk, id))
	pend, err := e.fb.Pending(e.ctx, e.alice.PatronID)
	must(t, err)
	if len(pend) != 1 || pend[0].Kind != domain.FeedbackHelp || pend[0].Ref != id || pend[0].Channel != domain.ChannelWeb {
		t.Fatalf("pending %+v", pend)
	}
	must(t, h.Close(desk, id)) // closing again: no second invitation
	if pend, _ := e.fb.Pending(e.ctx, e.alice.PatronID); len(pend) != 1 {
		t.Fatalf("pending after closing again %+v", pend)
	}
}
