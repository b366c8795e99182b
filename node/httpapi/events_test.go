package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"stacks/branch/domain"
)

// TestEventsAPI: the contract of issue 18 (names kept), permissions,
// the waitlist, promotion on cancel, check-in counted once, the patron
// API's own registrations, and bad input.
func TestEventsAPI(t *testing.T) {
	f := newFixture(t)
	body := map[string]any{"title": "Lego club", "library_id": "MAIN", "start": "2025-03-05T15:00:00Z", "end": "2025-03-05T16:00:00Z", "capacity": 2}
	f.do("POST", "/api/v1/events", body, asClerk).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("POST", "/api/v1/events", body, asAnon).wantProblem(t, http.StatusUnauthorized, "login_required")
	f.do("POST", "/api/v1/events", map[string]any{"title": "X", "library_id": "MAIN", "start": "soon", "end": "later", "capacity": 2}, asSuper).
		wantProblem(t, http.StatusBadRequest, "invalid")
	var ev domain.Event
	f.do("POST", "/api/v1/events", body, asSuper).want(t, http.StatusCreated, &ev)
	if ev.EventID == "" || ev.Capacity != 2 || ev.SeatsFree != 2 {
		t.Fatalf("created: %+v", ev)
	}
	var list []domain.Event
	f.do("GET", "/api/v1/events?library_id=MAIN&from=2025-03-05&to=2025-03-06", nil, asAnon).want(t, http.StatusOK, &list)
	if len(list) != 1 || list[0].EventID != ev.EventID {
		t.Fatalf("listed: %+v", list)
	}
	f.do("GET", "/api/v1/events?library_id=MAIN&from=2025-03-06", nil, asAnon).want(t, http.StatusOK, &list)
	if len(list) != 0 {
		t.Fatalf("listed after it: %+v", list)
	}
	base := "/api/v1/events/" + ev.EventID
	var regs []domain.EventRegistration
	for _, name := range []string{"Alice", "Bob", "Dave"} {
		var r domain.EventRegistration
		f.do("POST", base+"/registrations", map[string]any{"patron_id": f.patrons[name].PatronID}, asClerk).want(t, http.StatusCreated, &r)
		regs = append(regs, r)
	}
	if regs[0].Status != "registered" || regs[1].Status != "registered" || regs[2].Status != "waitlisted" || regs[2].Message == "" {
		t.Fatalf("statuses: %+v", regs)
	}
	// A patron registers themselves through the patron API (in Finnish).
	tok := f.patronToken(f.patrons["Carol"])
	var mine domain.EventRegistration
	f.do("POST", "/api/v1/patron/event_registrations", map[string]any{"event_id": ev.EventID, "guest_count": 1}, bearer(tok),
		header("Accept-Language", "fi")).want(t, http.StatusCreated, &mine)
	if mine.Status != "waitlisted" || mine.Seats != 2 || !strings.Contains(mine.Message, "jonossa") {
		t.Fatalf("patron's own: %+v", mine)
	}
	// A patron may not register someone else, nor list registrations.
	f.do("POST", base+"/registrations", map[string]any{"patron_id": f.patrons["Bob"].PatronID}, bearer(tok)).wantProblem(t, http.StatusForbidden, "not_permitted")
	f.do("GET", base+"/registrations", nil, bearer(tok)).wantProblem(t, http.StatusForbidden, "not_permitted")
	var all []domain.EventRegistration
	f.do("GET", base+"/registrations", nil, asClerk).want(t, http.StatusOK, &all)
	if len(all) != 4 || all[2].Position != 1 || all[3].Position != 2 {
		t.Fatalf("registrations: %+v", all)
	}
	// Alice cancels: Dave (head, one seat) is promoted.
	f.do("DELETE", base+"/registrations/"+regs[0].RegistrationID, nil, asClerk).want(t, http.StatusOK, nil)
	f.do("GET", base+"/registrations", nil, asClerk).want(t, http.StatusOK, &all)
	status := map[string]string{}
	for _, r := range all {
		status[r.PatronID] = r.Status
	}
	if status[f.patrons["Dave"].PatronID] != "registered" || status[f.patrons["Carol"].PatronID] != "waitlisted" {
		t.Fatalf("after cancel: %v", status)
	}
	// Check-in: once; the second scan says so; the kiosk may check in.
	var c domain.EventCheckin
	f.do("POST", base+"/checkins", map[string]any{"ticket": regs[1].Ticket}, asKiosk).want(t, http.StatusOK, &c)
	if c.Already || c.Registration.CheckedIn == "" {
		t.Fatalf("check-in: %+v", c)
	}
	f.do("POST", "/api/v1/event_checkins", map[string]any{"ticket": strings.ToLower(regs[1].Ticket)}, asClerk).want(t, http.StatusOK, &c)
	if !c.Already {
		t.Fatal("second scan not already")
	}
	f.do("POST", "/api/v1/event_checkins", map[string]any{"ticket": "hello"}, asClerk).wantProblem(t, http.StatusBadRequest, "invalid")
	f.do("GET", base, nil, asAnon).want(t, http.StatusOK, &ev)
	if ev.CheckedIn != 1 || ev.Attendance != 1 || ev.SeatsTaken != 2 || ev.Waitlisted != 1 {
		t.Fatalf("event: %+v", ev)
	}
	// The patron's own list, and cancelling it.
	var my []domain.EventRegistration
	f.do("GET", "/api/v1/patron/event_registrations", nil, bearer(tok)).want(t, http.StatusOK, &my)
	if len(my) != 1 || my[0].Event == nil || my[0].Event.Title != "Lego club" || my[0].Ticket == "" {
		t.Fatalf("my registrations: %+v", my)
	}
	f.do("DELETE", "/api/v1/patron/event_registrations/"+regs[1].RegistrationID, nil, bearer(tok)).wantProblem(t, http.StatusNotFound, "not_found")
	f.do("DELETE", "/api/v1/patron/event_registrations/"+mine.RegistrationID, nil, bearer(tok)).want(t, http.StatusOK, &mine)
	if mine.Status != "cancelled" {
		t.Fatalf("cancelled: %+v", mine)
	}
	// Staff cancel the event.
	f.do("DELETE", base, nil, asSuper).want(t, http.StatusOK, &ev)
	if !ev.Cancelled {
		t.Fatal("event not cancelled")
	}
}
