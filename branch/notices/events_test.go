package notices_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/branch/notices"
	"stacks/branch/patronprefs"
)

// eventKinds are the event notices sent, as kind/patron, in order.
func eventSent(r *recorder) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.sent {
		if m.Event != nil {
			out = append(out, m.Kind+"/"+m.Patron.Name)
		}
	}
	return out
}

// TestEventNotices: a registration with a seat is confirmed (with the
// ticket), once however many runs; a cancelled seat goes to the waitlist's
// head, who is told once; a registration cancelled before its
// confirmation went is not confirmed (re-checked, dropped) but told it is
// cancelled; a cancelled event is told to those still registered.
func TestEventNotices(t *testing.T) {
	l := openLib(t, 1, "")
	branchtest.SeedPolicy(t, l.ctx, l.svc)
	reg := func(card, name string) *domain.Patron {
		p, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: card, Firstname: name, Surname: "X", Email: name + "@example.org",
			Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
		must(t, err)
		return p
	}
	ann, bob, cy := reg("21000000000011", "Ann"), reg("21000000000012", "Bob"), reg("21000000000013", "Cy")
	ev := events.NewService(l.svc, events.Config{})
	start := branchtest.Monday.Add(48 * time.Hour)
	mk := func(title string, capacity int) *domain.Event {
		e, err := ev.Create(l.ctx, domain.NewEvent{Title: title, LibraryID: "MAIN", Room: "Hall", Start: start.Format(time.RFC3339),
			End: start.Add(time.Hour).Format(time.RFC3339), Capacity: capacity})
		must(t, err)
		return e
	}
	full, big := mk("Lego club", 1), mk("Author visit", 10)
	rec := &recorder{}
	e := l.engine(rec, nil)
	step(t, e, l.ctx) // the welcomes

	ra, err := ev.Register(l.ctx, full.EventID, domain.EventRegistrationRequest{PatronID: ann.PatronID}, "en")
	must(t, err)
	rb, err := ev.Register(l.ctx, full.EventID, domain.EventRegistrationRequest{PatronID: bob.PatronID}, "en")
	must(t, err)
	if ra.Status != domain.EventRegistered || rb.Status != domain.EventWaitlisted {
		t.Fatalf("statuses %s %s", ra.Status, rb.Status)
	}
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	if got := eventSent(rec); !slices.Equal(got, []string{"event_confirmed/Ann X"}) {
		t.Fatalf("after registering: %v", got)
	}
	m := rec.sent[len(rec.sent)-1]
	if m.Event.Ticket != ra.Ticket || m.Event.Title != "Lego club" || m.Event.Room != "Hall" || m.Event.Start != start.Format(time.RFC3339) ||
		len(m.Lines) != 1 || m.Lines[0].Title != "Lego club" || m.BranchID != "MAIN" {
		t.Fatalf("confirmation %+v %+v", m, m.Event)
	}
	if want := "event_confirmed:" + ra.RegistrationID + ":2026-11-23:email"; m.Key != want {
		t.Fatalf("key %s, want %s", m.Key, want)
	}

	// Ann cancels: Bob, at the head of the waitlist, gets her seat and
	// is told, once; Ann is told her registration is cancelled.
	_, err = ev.Unregister(l.ctx, full.EventID, ra.RegistrationID)
	must(t, err)
	if r, _ := ev.Registration(l.ctx, rb.RegistrationID); r.Status != domain.EventRegistered {
		t.Fatalf("Bob not promoted: %s", r.Status)
	}
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	got := eventSent(rec)[1:]
	slices.Sort(got)
	if !slices.Equal(got, []string{"event_promoted/Bob X", "event_registration_cancelled/Ann X"}) {
		t.Fatalf("after the cancellation: %v", got)
	}
	for _, m := range rec.sent {
		if m.Kind == notices.KindEventPromoted && m.Event.Ticket != rb.Ticket {
			t.Fatalf("promotion without Bob's ticket: %+v", m.Event)
		}
		if m.Kind == notices.KindEventRegistrationCancelled && m.Event.Ticket != "" {
			t.Fatalf("a cancelled registration's notice carries a ticket: %+v", m.Event)
		}
	}

	// Cy's confirmation fails for now; Cy cancels before it is tried
	// again: the retry re-checks, drops it, and the cancellation goes.
	rec.fail = func(m notices.Message) error {
		if m.Kind == notices.KindEventConfirmed {
			return errors.New("relay down")
		}
		return nil
	}
	rc, err := ev.Register(l.ctx, big.EventID, domain.EventRegistrationRequest{PatronID: cy.PatronID}, "en")
	must(t, err)
	if st := step(t, e, l.ctx); st.Claimed != 1 || st.Sent != 0 {
		t.Fatalf("first try %+v", st)
	}
	rec.fail = nil
	_, err = ev.Unregister(l.ctx, big.EventID, rc.RegistrationID)
	must(t, err)
	l.env.Clock.Advance(2 * time.Minute)
	st := step(t, e, l.ctx)
	if st.Dropped != 1 {
		t.Fatalf("the confirmation was not dropped: %+v", st)
	}
	if got := eventSent(rec)[3:]; !slices.Equal(got, []string{"event_registration_cancelled/Cy X"}) {
		t.Fatalf("Cy was told %v", got)
	}

	// The event is cancelled: Bob (still registered) is told, Ann (who
	// cancelled before) is not.
	_, err = ev.Cancel(l.ctx, full.EventID)
	must(t, err)
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	if got := eventSent(rec)[4:]; !slices.Equal(got, []string{"event_cancelled/Bob X"}) {
		t.Fatalf("after the event was cancelled: %v", got)
	}
	if n, err := e.Evaluate(l.ctx); err != nil || n != 0 {
		t.Fatalf("still due: %d %v", n, err)
	}
}

// TestEventReminder: a patron who chose event reminders is reminded of an
// event they hold a seat at once its start is a day away (not before),
// with the ticket, once however many runs; one who did not choose them,
// one on the waitlist and one who cancelled are not.
func TestEventReminder(t *testing.T) {
	l := openLib(t, 1, "")
	branchtest.SeedPolicy(t, l.ctx, l.svc)
	prefs := patronprefs.New(l.svc)
	reg := func(card, name string, reminders bool) *domain.Patron {
		p, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: card, Firstname: name, Surname: "X", Email: name + "@example.org",
			Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
		must(t, err)
		if reminders {
			mp := domain.DefaultMessagingPrefs()
			mp.Notices = append(mp.Notices, domain.NoticeEvents)
			_, err = prefs.SetMessaging(l.ctx, p.PatronID, mp)
			must(t, err)
		}
		return p
	}
	ann, bob, cy, di := reg("21000000000021", "Ann", true), reg("21000000000022", "Bob", false), reg("21000000000023", "Cy", true),
		reg("21000000000024", "Di", true)
	ev := events.NewService(l.svc, events.Config{})
	start := branchtest.Monday.Add(72 * time.Hour)
	e2, err := ev.Create(l.ctx, domain.NewEvent{Title: "Poetry night", LibraryID: "MAIN", Room: "Hall", Start: start.Format(time.RFC3339),
		End: start.Add(time.Hour).Format(time.RFC3339), Capacity: 2})
	must(t, err)
	ra, err := ev.Register(l.ctx, e2.EventID, domain.EventRegistrationRequest{PatronID: ann.PatronID}, "en")
	must(t, err)
	_, err = ev.Register(l.ctx, e2.EventID, domain.EventRegistrationRequest{PatronID: bob.PatronID}, "en")
	must(t, err)
	rc, err := ev.Register(l.ctx, e2.EventID, domain.EventRegistrationRequest{PatronID: cy.PatronID}, "en") // waitlisted
	must(t, err)
	if rc.Status != domain.EventWaitlisted {
		t.Fatalf("Cy %s", rc.Status)
	}
	rec := &recorder{}
	e := l.engine(rec, nil)
	reminders := func() []string {
		var out []string
		for _, k := range eventSent(rec) {
			if len(k) > 14 && k[:14] == "event_reminder" {
				out = append(out, k)
			}
		}
		return out
	}
	step(t, e, l.ctx)
	if got := reminders(); len(got) != 0 {
		t.Fatalf("reminded three days ahead: %v", got)
	}
	l.env.Clock.Advance(start.Sub(l.svc.Now()) - 25*time.Hour)
	step(t, e, l.ctx)
	if got := reminders(); len(got) != 0 {
		t.Fatalf("reminded 25 hours ahead: %v", got)
	}
	// Di registers and cancels; Cy stays waitlisted.
	rd, err := ev.Register(l.ctx, e2.EventID, domain.EventRegistrationRequest{PatronID: di.PatronID}, "en")
	must(t, err)
	_, err = ev.Unregister(l.ctx, e2.EventID, rd.RegistrationID)
	must(t, err)
	l.env.Clock.Advance(2 * time.Hour)
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	l.env.Clock.Advance(20 * time.Hour)
	step(t, e, l.ctx)
	if got := reminders(); !slices.Equal(got, []string{"event_reminder/Ann X"}) {
		t.Fatalf("reminders %v, want Ann's alone", got)
	}
	for _, m := range rec.sent {
		if m.Kind == notices.KindEventReminder && (m.Event.Ticket != ra.Ticket || m.Event.Title != "Poetry night") {
			t.Fatalf("reminder %+v", m.Event)
		}
	}
}
