package node_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"stacks/branch/domain"
	"stacks/node"
	"stacks/node/nodetest"
)

// mailed is one message a relay took: its To, decoded Subject and body.
type mailed struct{ to, subject, body string }

func (r *relay) mailed(t *testing.T) []mailed {
	t.Helper()
	r.mu.Lock()
	raw := append([]string(nil), r.msgs...)
	r.mu.Unlock()
	var out []mailed
	dec := new(mime.WordDecoder)
	for _, s := range raw {
		m, err := mail.ReadMessage(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		subj, err := dec.DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(m.Body)
		// The parts are quoted-printable: join soft line breaks.
		out = append(out, mailed{to: m.Header.Get("To"), subject: subj, body: strings.ReplaceAll(string(b), "=\r\n", "")})
	}
	return out
}

func (r *relay) count(t *testing.T, to, subject string) int {
	n := 0
	for _, m := range r.mailed(t) {
		if strings.Contains(m.to, to) && m.subject == subject {
			n++
		}
	}
	return n
}

// seedPatrons gives a fresh branchd a library, a category and patrons with
// email addresses (name@example.org), in the languages given, and an
// admin (admin:admin) for the API.
func seedPatrons(t *testing.T, n *node.Node, langs map[string]string) map[string]*domain.Patron {
	t.Helper()
	ctx := domain.WithActor(context.Background(), domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	svc := n.Service()
	if err := svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetCategory(ctx, domain.Category{Category: "ADULT", EnrolmentMonths: 12, MaxHolds: 5, MaxFineCents: 1000}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetStaff(ctx, domain.NewStaff{Username: "admin", DisplayName: "Admin", Role: domain.RoleAdmin, BranchID: "MAIN", Password: "admin"}); err != nil {
		t.Fatal(err)
	}
	out := map[string]*domain.Patron{}
	i := 0
	for name, lang := range langs {
		i++
		p, err := svc.RegisterPatron(ctx, domain.NewPatron{Cardnumber: "2900001" + string(rune('0'+i)), Firstname: name, Surname: "Reader",
			Email: strings.ToLower(name) + "@example.org", Category: "ADULT", PIN: "1234", HomeBranch: "MAIN", Language: lang})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = p
	}
	return out
}

// TestBranchdSendsEventNotices: a branchd with a relay (a real SMTP server
// in the test) confirms a registration by email once, with the ticket and
// the link to the ticket page; when the seat of a full event is cancelled,
// the waitlisted patron is promoted and told exactly once (in Finnish,
// their language); evaluating again, twice, sends nothing more.
func TestBranchdSendsEventNotices(t *testing.T) {
	rl, addr := startRelay(t, -1)
	cfg := branchConfig(t, &logBuffer{})
	cfg.Notify.SMTPAddr, cfg.Notify.MailFrom = addr, "library@example.org"
	cfg.NoticeInterval = 50 * time.Millisecond
	n := nodetest.Start(t, cfg)
	ps := seedPatrons(t, n, map[string]string{"Ann": "en", "Bob": "fi"})
	base := "http://" + n.Addr()
	start := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Hour)
	var ev domain.Event
	if code := apiDo(t, "POST", base+"/api/v1/events", map[string]any{"title": "Lego club", "library_id": "MAIN", "room": "Hall",
		"start": start.Format(time.RFC3339), "end": start.Add(time.Hour).Format(time.RFC3339), "capacity": 1}, &ev); code != 201 {
		t.Fatalf("create event: %d", code)
	}
	var ra, rb domain.EventRegistration
	if code := apiDo(t, "POST", base+"/api/v1/events/"+ev.EventID+"/registrations", map[string]any{"patron_id": ps["Ann"].PatronID}, &ra); code != 201 || ra.Status != domain.EventRegistered {
		t.Fatalf("register Ann: %d %s", code, ra.Status)
	}
	confirmed := "Your place is confirmed: Lego club"
	eventually(t, 30*time.Second, "Ann's confirmation", func() bool { return rl.count(t, "ann@", confirmed) == 1 })
	for _, m := range rl.mailed(t) {
		if m.subject == confirmed && (!strings.Contains(m.body, ra.Ticket) || !strings.Contains(m.body, "/n/c/")) {
			t.Fatalf("the confirmation lacks the ticket %s or the tracked link to the ticket page:\n%s", ra.Ticket, m.body)
		}
	}
	if code := apiDo(t, "POST", base+"/api/v1/events/"+ev.EventID+"/registrations", map[string]any{"patron_id": ps["Bob"].PatronID}, &rb); code != 201 || rb.Status != domain.EventWaitlisted {
		t.Fatalf("register Bob: %d %s", code, rb.Status)
	}
	if code := apiDo(t, "DELETE", base+"/api/v1/events/"+ev.EventID+"/registrations/"+ra.RegistrationID, nil, nil); code >= 300 {
		t.Fatalf("cancel Ann's seat: %d", code)
	}
	promoted := "Sinulle vapautui paikka: Lego club"
	eventually(t, 30*time.Second, "Bob's promotion and Ann's cancellation", func() bool {
		return rl.count(t, "bob@", promoted) == 1 && rl.count(t, "ann@", "Registration cancelled: Lego club") == 1
	})
	for _, m := range rl.mailed(t) {
		if m.subject == promoted && !strings.Contains(m.body, rb.Ticket) {
			t.Fatalf("the promotion lacks Bob's ticket %s:\n%s", rb.Ticket, m.body)
		}
	}
	sent := len(rl.mailed(t))
	actor := domain.WithActor(context.Background(), domain.Actor{ID: "notices", Role: domain.RoleAdmin, Channel: domain.ChannelEmail})
	for range 2 {
		st, err := n.Notices().Step(actor)
		if err != nil || st.Claimed+st.Sent != 0 {
			t.Fatalf("a run after everything went: %+v %v", st, err)
		}
	}
	if due, err := n.Notices().Evaluate(actor); err != nil || due != 0 {
		t.Fatalf("still due: %d %v", due, err)
	}
	if got := len(rl.mailed(t)); got != sent || rl.count(t, "bob@", promoted) != 1 || rl.count(t, "ann@", confirmed) != 1 {
		t.Fatalf("sent again: %d messages, then %d", sent, got)
	}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// webAccount logs a patron into the patron web and answers their
// account page.
func webAccount(t *testing.T, base, card string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	read := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", resp.Request.URL, resp.StatusCode)
		}
		return string(b)
	}
	m := csrfRe.FindStringSubmatch(read(c.Get(base + "/login")))
	if m == nil {
		t.Fatal("no CSRF token on the login page")
	}
	read(c.PostForm(base+"/login", url.Values{"cardnumber": {card}, "pin": {"1234"}, "csrf": {m[1]}, "next": {"/account"}}))
	return read(c.Get(base + "/account"))
}

// TestBranchdInvitesAfterEventsAndHelp: in a running branchd, a ticket
// checked in by staff invites its patron to a survey, and so does staff
// closing a help request the patron asked; the web account offers each
// (in the patron's language), and no longer once the transaction does not
// stand (the registration cancelled).
func TestBranchdInvitesAfterEventsAndHelp(t *testing.T) {
	cfg := branchConfig(t, &logBuffer{})
	cfg.FeedbackEvery = time.Nanosecond // a survey per transaction here
	n := nodetest.Start(t, cfg)
	ps := seedPatrons(t, n, map[string]string{"Ann": "en", "Bob": "fi"})
	base := "http://" + n.Addr()
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Minute)
	var ev domain.Event
	if code := apiDo(t, "POST", base+"/api/v1/events", map[string]any{"title": "Story time", "library_id": "MAIN",
		"start": start.Format(time.RFC3339), "end": start.Add(time.Hour).Format(time.RFC3339), "capacity": 5}, &ev); code != 201 {
		t.Fatalf("create event: %d", code)
	}
	var ra domain.EventRegistration
	if code := apiDo(t, "POST", base+"/api/v1/events/"+ev.EventID+"/registrations", map[string]any{"patron_id": ps["Ann"].PatronID}, &ra); code != 201 {
		t.Fatalf("register: %d", code)
	}
	if strings.Contains(webAccount(t, base, ps["Ann"].Cardnumber), "You came to one of our events") {
		t.Fatal("invited before the check-in")
	}
	if code := apiDo(t, "POST", base+"/api/v1/event_checkins", map[string]any{"ticket": ra.Ticket}, nil); code >= 300 {
		t.Fatalf("check in: %d", code)
	}
	if page := webAccount(t, base, ps["Ann"].Cardnumber); !strings.Contains(page, "You came to one of our events. Would you answer") {
		t.Fatalf("the account offers no survey about the event:\n%s", page)
	}
	if code := apiDo(t, "DELETE", base+"/api/v1/events/"+ev.EventID+"/registrations/"+ra.RegistrationID, nil, nil); code >= 300 {
		t.Fatalf("cancel: %d", code)
	}
	if strings.Contains(webAccount(t, base, ps["Ann"].Cardnumber), "You came to one of our events") {
		t.Fatal("still offered after the registration was cancelled")
	}

	// Staff take a phone call for Bob, answer and close it.
	var hr struct {
		ID string `json:"help_request_id"`
	}
	if code := apiDo(t, "POST", base+"/api/v1/help_requests", map[string]any{"message": "Where are the atlases?", "channel": "api",
		"cardnumber": ps["Bob"].Cardnumber}, &hr); code != 201 || hr.ID == "" {
		t.Fatalf("ask: %d %+v", code, hr)
	}
	if code := apiDo(t, "POST", base+"/api/v1/help_requests/"+hr.ID+"/answers", map[string]any{"text": "Second floor."}, nil); code >= 300 {
		t.Fatalf("answer: %d", code)
	}
	if code := apiDo(t, "POST", base+"/api/v1/help_requests/"+hr.ID+"/close", nil, nil); code >= 300 {
		t.Fatalf("close: %d", code)
	}
	if page := webAccount(t, base, ps["Bob"].Cardnumber); !strings.Contains(page, "Vastasimme avunpyyntöösi. Vastaisitko") {
		t.Fatalf("the account offers no survey about the help:\n%s", page)
	}
	pend, err := n.Feedback().Pending(context.Background(), ps["Bob"].PatronID)
	if err != nil || len(pend) != 1 || pend[0].Kind != domain.FeedbackHelp || pend[0].Ref != hr.ID {
		t.Fatalf("pending %+v %v", pend, err)
	}
}
