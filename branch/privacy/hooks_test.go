package privacy_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/branch/feedback"
	"stacks/branch/help"
	"stacks/replicate"
)

// The erasure hooks of events, help and feedback: after an erasure the
// patron's values, their guests' names and what they wrote are in no byte
// of any replica's database (state or op log), the figures the library
// keeps (attendance, handling times, NPS) are unchanged, and before it the
// export held the capability's records.

func patronCtx(patronID string, ch domain.Channel) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{ID: "patron:" + card, Role: domain.RolePatron, Channel: ch})
}

// exportPart is the capability's part of the patron's export, as JSON.
func exportPart(t *testing.T, n *node, patronID, name string) string {
	t.Helper()
	ex, err := n.priv.Export(supervisor(branchtest.Admin(context.Background())), patronID)
	must(t, err)
	b, err := json.Marshal(ex)
	must(t, err)
	var m map[string]json.RawMessage
	must(t, json.Unmarshal(b, &m))
	return string(m[name])
}

func erase(t *testing.T, a, b *node, patronID string) {
	t.Helper()
	must(t, a.priv.Erase(supervisor(branchtest.Admin(context.Background())), patronID, "GDPR request"))
	mesh(t, a, b)
	if hash(t, a) != hash(t, b) {
		t.Fatal("replicas differ after the erasure")
	}
}

func scalar[T any](t *testing.T, n *node, q string, args ...any) T {
	t.Helper()
	var v T
	must(t, n.Service.Read().QueryRowContext(context.Background(), q, args...).Scan(&v))
	return v
}

func TestEraseEvents(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b := open(t, 1, "MAIN"), open(t, 2, "MAIN")
	patronID, _ := fixture(t, a)
	ev := events.NewService(a.Service, events.Config{})
	start := branchtest.Monday.Add(48 * time.Hour)
	e, err := ev.Create(ctx, domain.NewEvent{Title: "Story time", LibraryID: "MAIN", Start: start.Format(time.RFC3339),
		End: start.Add(time.Hour).Format(time.RFC3339), Capacity: 10})
	must(t, err)
	guests := []string{"Leopoldina Marlowe", "Bartholomew Marlowe"}
	r, err := ev.Register(ctx, e.EventID, domain.EventRegistrationRequest{PatronID: patronID, Guests: guests}, "en")
	must(t, err)
	_, err = ev.Checkin(ctx, e.EventID, r.Ticket)
	must(t, err)
	mesh(t, a, b)
	ex := exportPart(t, a, patronID, "events")
	for _, v := range append([]string{r.RegistrationID, r.Ticket}, guests...) {
		if !contains(ex, v) {
			t.Fatalf("export lacks %q: %s", v, ex)
		}
	}
	const attendance = `SELECT coalesce(sum(r.seats),0) FROM event_checkins c JOIN event_registrations r ON r.registration_id=c.registration_id WHERE c.event_id=?`
	before := scalar[int](t, a, attendance, e.EventID)
	if before != 3 {
		t.Fatalf("attendance %d, want 3", before)
	}
	erase(t, a, b, patronID)
	for _, n := range []*node{a, b} {
		if got := scalar[int](t, n, attendance, e.EventID); got != before {
			t.Fatalf("attendance %d after erasure, want %d", got, before)
		}
		if got := scalar[string](t, n, `SELECT guests FROM event_registrations WHERE registration_id=?`, r.RegistrationID); got != `["",""]` {
			t.Fatalf("guests after erasure: %s", got)
		}
		grepFiles(t, n, append([]string{card, first, surname, email, r.Ticket}, guests...))
	}
}

func TestEraseHelp(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b := open(t, 1, "MAIN"), open(t, 2, "MAIN")
	patronID, _ := fixture(t, a)
	h := help.New(a.Service, nil)
	pctx := patronCtx(patronID, domain.ChannelWeb)
	opening, later := "My neighbour Zebediah keeps my library card", "Also please call me on my mobile, Zebediah knows"
	id, err := h.Open(pctx, help.Ask{Channel: string(domain.ChannelWeb), PatronID: patronID, Message: opening})
	must(t, err)
	a.Clock.Advance(3 * time.Minute)
	staff := domain.WithActor(ctx, domain.Actor{ID: "sam", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	must(t, h.Answer(staff, id, "Hello "+first+", we can help"))
	a.Clock.Advance(2 * time.Minute)
	must(t, h.Reply(pctx, id, later))
	a.Clock.Advance(time.Minute)
	must(t, h.Close(staff, id))
	mesh(t, a, b)
	ex := exportPart(t, a, patronID, "help")
	for _, v := range []string{id, opening, later} {
		if !contains(ex, v) {
			t.Fatalf("export lacks %q: %s", v, ex)
		}
	}
	const timings = `SELECT printf('%s %s %s %.0f %.0f', created_at, first_response_at, closed_at, first_response_seconds, close_seconds) FROM help_requests WHERE request_id=?`
	before := scalar[string](t, a, timings, id)
	erase(t, a, b, patronID)
	for _, n := range []*node{a, b} {
		if got := scalar[string](t, n, timings, id); got != before {
			t.Fatalf("timings %q after erasure, want %q", got, before)
		}
		if got := scalar[int](t, n, `SELECT count(*) FROM help_messages WHERE request_id=?`, id); got < 2 {
			t.Fatalf("%d messages left", got)
		}
		grepFiles(t, n, []string{card, first, surname, email, "Zebediah"})
	}
}

func TestEraseFeedback(t *testing.T) {
	ctx := branchtest.Admin(context.Background())
	a, b := open(t, 1, "MAIN"), open(t, 2, "MAIN")
	patronID, itemID := fixture(t, a)
	fb := feedback.New(a.Service, feedback.Config{Every: time.Hour})
	r, err := a.Service.Checkout(ctx, domain.CheckoutRequest{PatronID: patronID, ItemID: itemID})
	must(t, err)
	_, err = a.Service.Renew(ctx, domain.RenewRequest{LoanID: r.Loan.LoanID})
	must(t, err)
	inv, err := fb.Invite(ctx, domain.FeedbackTrigger{PatronID: patronID, Kind: domain.FeedbackRenewal, Ref: r.Loan.LoanID, Channel: domain.ChannelWeb})
	must(t, err)
	if inv == nil {
		t.Fatal("no invitation")
	}
	pctx := patronCtx(patronID, domain.ChannelWeb)
	ip := func(v int) *int { return &v }
	named, err := fb.Answer(pctx, feedback.AnswerRequest{PatronID: patronID, InvitationID: inv.InvitationID, Score: ip(4), NPS: ip(10),
		Comment: "The Xylophonist at the desk was slow"})
	must(t, err)
	anon, err := fb.Answer(pctx, feedback.AnswerRequest{PatronID: patronID, Anonymous: true, Score: ip(2), NPS: ip(3), Comment: "anonymous words stay"})
	must(t, err)
	_, err = fb.Reply(ctx, named.AnswerID, "Sorry "+first+", Xylophonist has been told")
	must(t, err)
	_, err = a.Service.Checkin(ctx, domain.CheckinRequest{ItemID: itemID})
	must(t, err)
	mesh(t, a, b)
	ex := exportPart(t, a, patronID, "feedback")
	for _, v := range []string{inv.InvitationID, named.AnswerID, "Xylophonist"} {
		if !contains(ex, v) {
			t.Fatalf("export lacks %q: %s", v, ex)
		}
	}
	if contains(ex, anon.AnswerID) || contains(ex, "anonymous words stay") {
		t.Fatalf("export holds the anonymous answer: %s", ex)
	}
	const nps = `SELECT group_concat(score || '/' || nps, ',') FROM (SELECT score, nps FROM feedback_answers ORDER BY answer_id)`
	before := scalar[string](t, a, nps)
	erase(t, a, b, patronID)
	for _, n := range []*node{a, b} {
		if got := scalar[string](t, n, nps); got != before {
			t.Fatalf("scores %q after erasure, want %q", got, before)
		}
		if got := scalar[int](t, n, `SELECT count(*) FROM feedback_answers WHERE patron_id<>''`); got != 0 {
			t.Fatalf("%d answers still name a patron", got)
		}
		if got := scalar[string](t, n, `SELECT comment FROM feedback_answers WHERE answer_id=?`, anon.AnswerID); got != "anonymous words stay" {
			t.Fatalf("anonymous answer's comment: %q", got)
		}
		if got := countOps(t, n, func(op replicate.Op) bool {
			p := string(op.Payload)
			return strings.HasPrefix(op.Kind, "feedback.") && (strings.Contains(p, patronID) || strings.Contains(p, r.Loan.LoanID))
		}); got != 0 {
			t.Fatalf("%d feedback ops still name the patron or their loan", got)
		}
		grepFiles(t, n, []string{card, first, surname, email, "Xylophonist"})
	}
}

func contains(s, sub string) bool {
	return len(sub) > 0 && json.Valid([]byte(s)) && strings.Contains(s, sub)
}

// TestEraseHelpLateMessage: a message the patron writes on a replica cut
// off during their erasure is erased where it arrives, and the replicas
// converge.
func TestEraseHelpLateMessage(t *testing.T) {
	a, b := open(t, 1, "MAIN"), open(t, 2, "MAIN")
	patronID, _ := fixture(t, a)
	id, err := help.New(a.Service, nil).Open(patronCtx(patronID, domain.ChannelWeb),
		help.Ask{Channel: string(domain.ChannelWeb), PatronID: patronID, Message: "Where is the quiet room"})
	must(t, err)
	mesh(t, a, b)
	must(t, a.priv.Erase(supervisor(branchtest.Admin(context.Background())), patronID, "GDPR request"))
	late := "Call Wilhelmina Latecomer on my behalf"
	b.Clock.Advance(time.Minute)
	must(t, help.New(b.Service, nil).Reply(patronCtx(patronID, domain.ChannelWeb), id, late))
	mesh(t, a, b)
	if hash(t, a) != hash(t, b) {
		t.Fatal("replicas differ")
	}
	for _, n := range []*node{a, b} {
		grepFiles(t, n, []string{card, first, "Wilhelmina", "quiet room"})
	}
}
