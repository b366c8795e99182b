package feedback_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/feedback"
	"stacks/replicate"
)

type env struct {
	*branchtest.Env
	ctx   context.Context
	fb    *feedback.Service
	alice *domain.Patron
	dir   string
}

func open(t *testing.T, node replicate.NodeID, every time.Duration) env {
	t.Helper()
	dir := t.TempDir()
	e := env{Env: branchtest.Open(t, branchtest.Options{Node: node, Dir: dir}), ctx: branchtest.Admin(context.Background()), dir: dir}
	e.fb = feedback.New(e.Service, feedback.Config{Every: every})
	branchtest.SeedPolicy(t, e.ctx, e.Service)
	p, err := e.Service.RegisterPatron(e.ctx, domain.NewPatron{Cardnumber: "21000000000077", Firstname: "Alice", Surname: "Zyzzyva",
		Category: "ADULT", PIN: "1234", Email: "alice.zyzzyva@example.org"})
	must(t, err)
	e.alice = p
	for _, bc := range []string{"B-1", "B-2"} {
		b, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: "Title " + bc})
		must(t, err)
		_, err = e.Service.AddItem(e.ctx, domain.NewItem{Barcode: bc, BiblioID: b.BiblioID, ItemType: "BOOK"})
		must(t, err)
	}
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ip(v int) *int { return &v }

func (e env) patronCtx(ch domain.Channel) context.Context {
	return domain.WithActor(context.Background(), domain.Actor{ID: "patron:" + e.alice.PatronID, Role: domain.RolePatron, Channel: ch})
}

func (e env) borrow(t *testing.T, barcode string) *domain.Loan {
	t.Helper()
	r, err := e.Service.Checkout(e.ctx, domain.CheckoutRequest{PatronID: e.alice.PatronID, Barcode: barcode})
	must(t, err)
	return r.Loan
}

// TestArithmetic checks NPS and CSAT against hand-computed cases.
func TestArithmetic(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name              string
		scores, nps       []int
		invitations       int
		wantNPS, wantCSAT *float64
		wantRate          *float64
	}{
		// 10 NPS answers: 9,10,10 promoters (3), 7,8 passives (2), 0,3,5,6,6
		// detractors (5): 30% - 50% = -20. Scores 5,4,4,3,1: 3 of 5 = 60%.
		{"mixed", []int{5, 4, 4, 3, 1}, []int{9, 10, 10, 7, 8, 0, 3, 5, 6, 6}, 20, f(-20), f(60), f(50)},
		// All promoters: +100; all satisfied: 100%.
		{"all good", []int{5, 5, 4}, []int{10, 9, 9}, 3, f(100), f(100), f(100)},
		// Boundaries: 6 is a detractor, 7 passive, 8 passive, 9 promoter;
		// 3 is not satisfied, 4 is. NPS (1-1)/4 = 0; CSAT 1/2 = 50%.
		{"boundaries", []int{3, 4}, []int{6, 7, 8, 9}, 0, f(0), f(50), nil},
		// Thirds round to one decimal: 1 promoter, 2 passives: 33.3.
		// CSAT 2 of 3 = 66.7%. Response rate 3/7 = 42.9%.
		{"rounding", []int{4, 5, 2}, []int{9, 7, 8}, 7, f(33.3), f(66.7), f(42.9)},
		{"none", nil, nil, 5, nil, nil, f(0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &domain.FeedbackResult{Invitations: c.invitations}
			n := max(len(c.scores), len(c.nps))
			for i := 0; i < n; i++ {
				s, p := -1, -1
				if i < len(c.scores) {
					s = c.scores[i]
				}
				if i < len(c.nps) {
					p = c.nps[i]
				}
				feedback.Tally(r, s, p)
			}
			feedback.Finish(r)
			for _, x := range []struct {
				what      string
				got, want *float64
			}{{"NPS", r.NPS, c.wantNPS}, {"CSAT", r.CSAT, c.wantCSAT}, {"rate", r.ResponseRate, c.wantRate}} {
				if (x.got == nil) != (x.want == nil) || (x.got != nil && *x.got != *x.want) {
					t.Errorf("%s = %v, want %v (%+v)", x.what, show(x.got), show(x.want), r)
				}
			}
		})
	}
}

func show(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestOneInvitationPerPeriod: a second invitation within Every is not
// made; after Every it is, on the injected clock.
func TestOneInvitationPerPeriod(t *testing.T) {
	e := open(t, 1, 10*24*time.Hour)
	l := e.borrow(t, "B-1")
	e.Clock.Advance(time.Hour)
	_, err := e.Service.Renew(e.ctx, domain.RenewRequest{LoanID: l.LoanID})
	must(t, err)
	tr := domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackRenewal, Ref: l.LoanID, Channel: domain.ChannelWeb}
	inv, err := e.fb.Invite(e.ctx, tr)
	must(t, err)
	if inv == nil {
		t.Fatal("no first invitation")
	}
	e.Clock.Advance(10*24*time.Hour - time.Minute)
	if again, err := e.fb.Invite(e.ctx, tr); err != nil || again != nil {
		t.Fatalf("second invitation within 10 days: %+v, %v", again, err)
	}
	e.Clock.Advance(2 * time.Minute)
	again, err := e.fb.Invite(e.ctx, tr)
	must(t, err)
	if again == nil {
		t.Fatal("no invitation after 10 days")
	}
}

// TestConcurrentInvitationsOfferedOnce: two nodes cut off from each other
// each invite the patron within one period (a renewal on the web at one,
// a kiosk session at the other); once their ops meet, both offer the
// earlier invitation only, and the later can no longer be answered.
func TestConcurrentInvitationsOfferedOnce(t *testing.T) {
	e := open(t, 1, 10*24*time.Hour)
	l := e.borrow(t, "B-1")
	e2 := branchtest.Open(t, branchtest.Options{Node: 2, Clock: e.Clock})
	fb2 := feedback.New(e2.Service, feedback.Config{Every: 10 * 24 * time.Hour})
	branchtest.Exchange(t, e.Service, e2.Service)
	_, err := e.Service.Renew(e.ctx, domain.RenewRequest{LoanID: l.LoanID})
	must(t, err)
	branchtest.Exchange(t, e.Service, e2.Service) // the renewal reaches node 2; then they are cut off
	tr := domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackRenewal, Ref: l.LoanID, Channel: domain.ChannelWeb}
	first, err := e.fb.Invite(e.ctx, tr)
	must(t, err)
	e.Clock.Advance(time.Minute)
	second, err := fb2.Invite(e.ctx, tr)
	must(t, err)
	if first == nil || second == nil {
		t.Fatalf("each cut-off node invites: %v %v", first, second)
	}
	if p, err := fb2.Pending(e.ctx, e.alice.PatronID); err != nil || len(p) != 1 || p[0].InvitationID != second.InvitationID {
		t.Fatalf("node 2 before the merge: %+v %v", p, err)
	}
	branchtest.Exchange(t, e.Service, e2.Service)
	branchtest.Exchange(t, e2.Service, e.Service)
	for i, f := range []*feedback.Service{e.fb, fb2} {
		p, err := f.Pending(e.ctx, e.alice.PatronID)
		must(t, err)
		if len(p) != 1 || p[0].InvitationID != first.InvitationID {
			t.Fatalf("node %d after the merge offers %+v, want the earlier invitation alone", i+1, p)
		}
	}
	_, err = fb2.Answer(e.patronCtx(domain.ChannelWeb), feedback.AnswerRequest{PatronID: e.alice.PatronID, InvitationID: second.InvitationID, Score: ip(5)})
	if !errors.Is(err, feedback.ErrNotOpen) {
		t.Fatalf("the later, superseded invitation answered: %v", err)
	}
}

// TestStillStands: a renewal of a loan since returned, and a kiosk
// session that did nothing, are not asked about; an invitation whose loan
// is returned afterwards is no longer pending nor answerable.
func TestStillStands(t *testing.T) {
	e := open(t, 1, time.Hour)
	l := e.borrow(t, "B-1")
	pickup := domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackHoldPickup, Ref: l.LoanID, Channel: domain.ChannelKiosk}
	// Renewal not made: nothing to ask.
	if inv, err := e.fb.Invite(e.ctx, domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackRenewal, Ref: l.LoanID}); err != nil || inv != nil {
		t.Fatalf("invited about a renewal never made: %+v %v", inv, err)
	}
	inv, err := e.fb.Invite(e.ctx, pickup)
	must(t, err)
	if inv == nil {
		t.Fatal("no invitation after a pickup")
	}
	pend, err := e.fb.Pending(e.ctx, e.alice.PatronID)
	must(t, err)
	if len(pend) != 1 {
		t.Fatalf("pending = %+v", pend)
	}
	_, err = e.Service.Checkin(e.ctx, domain.CheckinRequest{Barcode: "B-1"})
	must(t, err)
	pend, err = e.fb.Pending(e.ctx, e.alice.PatronID)
	must(t, err)
	if len(pend) != 0 {
		t.Fatalf("pending after the loan was returned = %+v", pend)
	}
	_, err = e.fb.Answer(e.patronCtx(domain.ChannelWeb), feedback.AnswerRequest{PatronID: e.alice.PatronID, InvitationID: inv.InvitationID, Score: ip(5)})
	if err != feedback.ErrNotOpen {
		t.Fatalf("answer to an invitation whose loan was returned: %v", err)
	}
	// A kiosk session: the return just made stands (a return here within
	// the window); a session long after, with nothing done, does not.
	e.Clock.Advance(2 * time.Hour)
	k := domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackKioskSession, Channel: domain.ChannelKiosk}
	if inv, err := e.fb.Invite(e.ctx, k); err != nil || inv == nil {
		t.Fatalf("kiosk session with a return: %+v %v", inv, err)
	}
	e.Clock.Advance(24 * time.Hour)
	if inv, err := e.fb.Invite(e.ctx, k); err != nil || inv != nil {
		t.Fatalf("kiosk session that did nothing: %+v %v", inv, err)
	}
	if _, err := e.fb.Invite(e.ctx, domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: "no_such_kind"}); err == nil {
		t.Fatal("unknown kind accepted")
	}
	// Another capability registers its kind.
	e.fb.Register(domain.FeedbackEvent, func(context.Context, replicate.Querier, domain.FeedbackInvitation, time.Time) (bool, error) {
		return true, nil
	})
	if inv, err := e.fb.Invite(e.ctx, domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackEvent, Ref: "reg-1"}); err != nil || inv == nil {
		t.Fatalf("registered kind: %+v %v", inv, err)
	}
}

// TestAnonymity: an anonymous answer names the patron nowhere: not in its
// row, not in its op (payload, actor), not in any byte of the database
// files, while a named answer's identifiers are found there (the control
// that the search works).
func TestAnonymity(t *testing.T) {
	e := open(t, 1, time.Hour)
	l := e.borrow(t, "B-1")
	_, err := e.Service.Renew(e.ctx, domain.RenewRequest{LoanID: l.LoanID})
	must(t, err)
	inv, err := e.fb.Invite(e.ctx, domain.FeedbackTrigger{PatronID: e.alice.PatronID, Kind: domain.FeedbackRenewal, Ref: l.LoanID, Channel: domain.ChannelWeb})
	must(t, err)
	pctx := e.patronCtx(domain.ChannelWeb)
	must(t, e.fb.Close(pctx, e.alice.PatronID, inv.InvitationID))
	a, err := e.fb.Answer(pctx, feedback.AnswerRequest{PatronID: e.alice.PatronID, Anonymous: true, InvitationID: inv.InvitationID,
		Score: ip(2), NPS: ip(3), Comment: "anonymous-comment-marker"})
	must(t, err)
	if a.PatronID != "" || a.InvitationID != "" || a.At != "" || !a.Anonymous || a.Kind != domain.FeedbackRenewal || a.Channel != domain.ChannelWeb {
		t.Fatalf("anonymous answer = %+v", a)
	}
	if _, err := e.fb.Reply(e.ctx, a.AnswerID, "thanks"); err != feedback.ErrAnonymous {
		t.Fatalf("reply to an anonymous answer: %v", err)
	}
	ops, err := e.Log.Ops(e.ctx, replicate.VersionVector{}, 100000)
	must(t, err)
	var found bool
	for _, op := range ops {
		if op.Kind != feedback.KindAnswer {
			continue
		}
		found = true
		for _, s := range []string{e.alice.PatronID, e.alice.Cardnumber, inv.InvitationID, "patron:"} {
			if bytes.Contains(op.Payload, []byte(s)) || op.Actor != feedback.AnonymousActor {
				t.Errorf("anonymous answer op names the patron: actor %q payload %s", op.Actor, op.Payload)
			}
		}
	}
	if !found {
		t.Fatal("no answer op")
	}
	ids := []string{e.alice.PatronID, e.alice.Cardnumber, "Zyzzyva", "alice.zyzzyva"}
	// Control: the database files do hold the patron's identifiers (the
	// patron row, the loan, the invitation), so the scan below can see
	// them; what must not be there is any of them next to the answer.
	files := dbFiles(t, e.dir)
	if !containsAny(files, []byte(e.alice.PatronID)) {
		t.Fatal("control failed: the patron's ID is nowhere in the database files")
	}
	// The anonymous answer's row: found by its comment, it carries none of
	// the identifiers.
	row := e.DB.Read().QueryRowContext(e.ctx, `SELECT patron_id || '|' || invitation_id || '|' || at FROM feedback_answers WHERE answer_id=?`, a.AnswerID)
	var s string
	must(t, row.Scan(&s))
	if s != "||" {
		t.Fatalf("anonymous row carries %q", s)
	}
	// Every occurrence of the comment marker in the files (the answer's op
	// record and its row): no identifier in the record around it. The
	// comment ends the op's payload (then come the actor and channel, a
	// few bytes) and the row; what precedes it in either is under 300
	// bytes. Further away lie neighbouring records of the same page
	// (other ops, such as the invitation's), which are not this answer.
	marker := []byte("anonymous-comment-marker")
	for name, b := range files {
		for off := 0; ; {
			i := bytes.Index(b[off:], marker)
			if i < 0 {
				break
			}
			at := off + i
			lo, hi := max(0, at-300), min(len(b), at+len(marker)+24)
			for _, id := range ids {
				if bytes.Contains(b[lo:hi], []byte(id)) {
					t.Errorf("%s: %q in the anonymous answer's record: %q", name, id, b[lo:hi])
				}
			}
			off = at + len(marker)
		}
	}
	// A named answer, by contrast, names the patron (the control for the
	// op scan).
	n, err := e.fb.Answer(pctx, feedback.AnswerRequest{PatronID: e.alice.PatronID, Score: ip(5), Comment: "named"})
	must(t, err)
	if n.PatronID != e.alice.PatronID || n.Anonymous {
		t.Fatalf("named answer = %+v", n)
	}
}

func dbFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	must(t, err)
	for _, en := range ents {
		if en.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		must(t, err)
		out[en.Name()] = b
	}
	return out
}

func containsAny(files map[string][]byte, s []byte) bool {
	for _, b := range files {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}
