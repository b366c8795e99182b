package notices_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/branch/patronprefs"
	"stacks/replicate"
)

// recorder is a Sender that keeps what it was given; fail, if set, decides
// an error per message.
type recorder struct {
	mu   sync.Mutex
	sent []notices.Message
	fail func(m notices.Message) error
}

func (r *recorder) Send(ctx context.Context, m notices.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.sent {
		out = append(out, m.Key)
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func caps() []branch.Capability { return branchtest.Capabilities() }

type lib struct {
	env *branchtest.Env
	svc *branch.Service
	ctx context.Context
}

func openLib(t testing.TB, node replicate.NodeID, dir string) *lib {
	t.Helper()
	env := branchtest.Open(t, branchtest.Options{Node: node, Capabilities: caps(), Dir: dir})
	return &lib{env: env, svc: env.Service, ctx: branchtest.Admin(context.Background())}
}

// seed makes the policy, a patron with an email and phone, and n copies
// lent to them; it answers the patron and the loans.
func (l *lib) seed(t testing.TB, n int) (*domain.Patron, []*domain.Loan) {
	t.Helper()
	branchtest.SeedPolicy(t, l.ctx, l.svc)
	p, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: "21000000000001", Firstname: "Ann", Surname: "Archer",
		Email: "ann@example.org", Phone: "+358401234567", Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
	must(t, err)
	var loans []*domain.Loan
	for i := range n {
		b, err := l.svc.AddBiblio(l.ctx, domain.NewBiblio{Title: fmt.Sprintf("Book %d", i), Authors: []string{"Author, A"}})
		must(t, err)
		it, err := l.svc.AddItem(l.ctx, domain.NewItem{Barcode: fmt.Sprintf("3900000000%04d", i), BiblioID: b.BiblioID, HomeBranch: "MAIN", ItemType: "BOOK"})
		must(t, err)
		res, err := l.svc.Checkout(l.ctx, domain.CheckoutRequest{PatronID: p.PatronID, ItemID: it.ItemID})
		must(t, err)
		loans = append(loans, res.Loan)
	}
	return p, loans
}

func (l *lib) engine(s notices.Sender, remote notices.Remote) *notices.Engine {
	return notices.New(l.svc, notices.Config{Node: fmt.Sprint(l.svc.Log().Node()), Sender: s, Remote: remote})
}

func step(t testing.TB, e *notices.Engine, ctx context.Context) notices.Stats {
	t.Helper()
	st, err := e.Step(ctx)
	must(t, err)
	return st
}

func kinds(ms []notices.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Kind)
	}
	return out
}

// A welcome on registration, once, however many runs see it.
func TestWelcomeOnce(t *testing.T) {
	l := openLib(t, 1, "")
	l.seed(t, 0)
	rec := &recorder{}
	e := l.engine(rec, nil)
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	if got := kinds(rec.sent); len(got) != 1 || got[0] != notices.KindWelcome {
		t.Fatalf("sent %v", got)
	}
	m := rec.sent[0]
	if m.To != "ann@example.org" || m.Channel != notices.ChannelEmail || m.Patron.Name != "Ann Archer" || m.Language != "en" || m.Key == "" {
		t.Fatalf("message %+v", m)
	}
}

// Runs missed for three weeks (an outage, holidays): the loan's current
// notice goes once, the superseded ones never.
func TestMissedRunsSendTheCurrentNoticeOnce(t *testing.T) {
	l := openLib(t, 1, "")
	_, loans := l.seed(t, 1)
	rec := &recorder{}
	e := l.engine(rec, nil)
	step(t, e, l.ctx) // the welcome
	rec.sent = nil
	l.env.Clock.Advance(40 * 24 * time.Hour) // 21 days' loan + 19: past the 3rd overdue (15 days)
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	var got []string
	for _, m := range rec.sent {
		if m.Kind != notices.KindCardExpiring {
			got = append(got, m.Kind)
		}
	}
	if len(got) != 1 || got[0] != notices.KindOverdue3 {
		t.Fatalf("sent %v", kinds(rec.sent))
	}
	for _, m := range rec.sent {
		if m.Kind == notices.KindOverdue3 && (len(m.Lines) != 1 || m.Lines[0].DueDate != loans[0].DueDate || m.Lines[0].Title != "Book 0") {
			t.Fatalf("overdue message %+v", m)
		}
	}
}

// Each day's run sends the notice whose threshold was crossed since: pre-due,
// due today, overdue 1, 2, 3; a renewal gives a new pre-due notice for the
// new date, once.
func TestDailyRunsAndRenewal(t *testing.T) {
	l := openLib(t, 1, "")
	_, loans := l.seed(t, 1)
	rec := &recorder{}
	e := l.engine(rec, nil)
	var got []string
	for day := 0; day < 70; day++ {
		rec.sent = nil
		for range 3 { // several runs a day
			step(t, e, l.ctx)
		}
		for _, m := range rec.sent {
			if m.Kind != notices.KindWelcome && m.Kind != notices.KindCardExpiring {
				got = append(got, m.Kind+"@"+m.Date)
			}
		}
		if day == 19 { // pre-due sent (3 days before day 21): renew now
			_, err := l.svc.Renew(l.ctx, domain.RenewRequest{LoanID: loans[0].LoanID})
			must(t, err)
		}
		l.env.Clock.Advance(24 * time.Hour)
	}
	due := loans[0].DueDate
	if len(got) < 6 || got[0] != notices.KindPreDue+"@"+due || !strings.HasPrefix(got[1], notices.KindPreDue+"@") || got[1] == got[0] {
		t.Fatalf("sent %v", got)
	}
	want := []string{notices.KindPreDue, notices.KindPreDue, notices.KindDueToday, notices.KindOverdue1, notices.KindOverdue2, notices.KindOverdue3}
	if len(got) != len(want) {
		t.Fatalf("sent %v, want kinds %v", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]+"@") {
			t.Fatalf("sent %v, want kinds %v", got, want)
		}
	}
}

// claimRacer decides claims in the library's own transaction, but first
// lets race run: the state changes between the claim and the send.
type claimRacer struct {
	l    *lib
	race func()
}

func (c claimRacer) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	var out []byte
	err := c.l.svc.Update(ctx, func(t *branch.Txn) error {
		var err error
		out, err = notices.Decide(ctx, t, t.Now(), req, func(ctx context.Context, kind string, p any, _, _ string) error {
			_, err := t.Emit(ctx, kind, p)
			return err
		})
		return err
	})
	if c.race != nil {
		c.race()
	}
	return out, nil, err
}

// A book returned after the claim and before the send is not overdue: the
// notice is dropped, recorded as such, never sent.
func TestReturnRacingTheSendDrops(t *testing.T) {
	l := openLib(t, 1, "")
	p, loans := l.seed(t, 1)
	rec := &recorder{}
	step(t, l.engine(rec, nil), l.ctx)
	rec.sent = nil
	l.env.Clock.Advance(23 * 24 * time.Hour)
	racer := claimRacer{l: l, race: func() {
		_, err := l.svc.Checkin(l.ctx, domain.CheckinRequest{ItemID: loans[0].ItemID})
		must(t, err)
	}}
	e := l.engine(rec, racer)
	st := step(t, e, l.ctx)
	if len(rec.sent) != 0 || st.Dropped != 1 {
		t.Fatalf("sent %v, stats %+v", kinds(rec.sent), st)
	}
	ns, err := e.PatronNotices(l.ctx, p.PatronID)
	must(t, err)
	var dropped int
	for _, n := range ns {
		if n.Status == notices.StatusDropped && n.Kind == notices.KindOverdue1 {
			dropped++
		}
	}
	if dropped != 1 {
		t.Fatalf("notices %+v", ns)
	}
}

// central is a decider every library asks (central's Raft state machine in
// a cluster): its decisions' ops go back with the answer.
type central struct {
	l    *lib
	down bool
}

func (c *central) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	if c.down {
		return nil, nil, errors.New("unreachable")
	}
	var out []byte
	var ops []replicate.Op
	err := c.l.svc.Update(ctx, func(t *branch.Txn) error {
		var err error
		out, err = notices.Decide(ctx, t, t.Now(), req, func(ctx context.Context, kind string, p any, _, _ string) error {
			op, err := t.Emit(ctx, kind, p)
			ops = append(ops, op)
			return err
		})
		return err
	})
	return out, ops, err
}

// Two branches with the same state both find the notices due; the one
// place that decides claims lets each go once. A branch cut off from it
// sends nothing until it heals.
func TestExactlyOnceAcrossBranches(t *testing.T) {
	a := openLib(t, 1, "")
	b := openLib(t, 2, "")
	c := openLib(t, 3, "")
	a.seed(t, 3)
	branchtest.Exchange(t, a.svc, b.svc)
	branchtest.Exchange(t, a.svc, c.svc)
	cen := &central{l: c}
	rec := &recorder{}
	ea, eb := a.engine(rec, cen), b.engine(rec, cen)
	cen.down = true
	if st := step(t, ea, a.ctx); st.Unclaimable == 0 || len(rec.sent) != 0 {
		t.Fatalf("sent while cut off: %+v %v", st, rec.keys())
	}
	cen.down = false
	for day := 0; day < 40; day++ {
		step(t, ea, a.ctx)
		step(t, eb, b.ctx)
		a.env.Clock.Advance(24 * time.Hour)
		b.env.Clock.Advance(24 * time.Hour)
		c.env.Clock.Advance(24 * time.Hour)
	}
	seen := map[string]int{}
	for _, k := range rec.keys() {
		seen[k]++
		if seen[k] > 1 {
			t.Fatalf("%s sent twice", k)
		}
	}
	// welcome + 3 loans x (pre-due, due today, 3 overdues) + card expiring? (a year away: no)
	if len(seen) != 1+3*5 {
		t.Fatalf("sent %d notices: %v", len(seen), rec.keys())
	}
}

// A node that stops in the middle of a send leaves the notice without an
// outcome: after a restart it is "unknown", never sent again blind; staff
// can resend it.
func TestCrashMidSendIsUnknownAndResendable(t *testing.T) {
	dir := t.TempDir()
	l := openLib(t, 1, dir)
	p, _ := l.seed(t, 0)
	ctx, cancel := context.WithCancel(l.ctx)
	crash := &recorder{fail: func(m notices.Message) error { cancel(); return nil }}
	if _, err := l.engine(crash, nil).Step(ctx); err == nil {
		t.Fatal("the step went on after its context ended")
	}
	if len(crash.sent) != 1 {
		t.Fatalf("sent %v", crash.keys())
	}
	key := crash.sent[0].Key
	rec := &recorder{}
	e := l.engine(rec, nil) // the restarted node
	st := step(t, e, l.ctx)
	step(t, e, l.ctx)
	if len(rec.sent) != 0 || st.Unknown != 1 {
		t.Fatalf("sent again: %v %+v", rec.keys(), st)
	}
	n, err := e.Notice(l.ctx, key)
	must(t, err)
	if n.Status != notices.StatusUnknown {
		t.Fatalf("status %s", n.Status)
	}
	r, err := e.Resend(l.ctx, key)
	must(t, err)
	if r.Status != notices.StatusSent || r.ResendOf != key || len(rec.sent) != 1 {
		t.Fatalf("resend %+v, sent %v", r, rec.keys())
	}
	ns, err := e.PatronNotices(l.ctx, p.PatronID)
	must(t, err)
	if len(ns) != 2 {
		t.Fatalf("notices %+v", ns)
	}
}

// A permanent failure falls back to the next channel and flags the
// contact; a temporary one is tried again later with the same key.
func TestFallbackAndRetry(t *testing.T) {
	l := openLib(t, 1, "")
	p, _ := l.seed(t, 0)
	rec := &recorder{fail: func(m notices.Message) error {
		if m.Channel == notices.ChannelEmail {
			return fmt.Errorf("550 no such user: %w", notices.ErrPermanent)
		}
		return nil
	}}
	e := l.engine(rec, nil)
	st := step(t, e, l.ctx)
	if len(rec.sent) != 1 || rec.sent[0].Channel != notices.ChannelSMS || rec.sent[0].To != p.Phone || st.Failed != 1 {
		t.Fatalf("sent %+v %+v", rec.sent, st)
	}
	flags, err := e.ContactFlags(l.ctx, p.PatronID)
	must(t, err)
	if len(flags) != 1 || flags[0].Channel != notices.ChannelEmail || flags[0].Address != p.Email {
		t.Fatalf("flags %+v", flags)
	}

	l2 := openLib(t, 2, "")
	l2.seed(t, 0)
	down := true
	rec2 := &recorder{fail: func(m notices.Message) error {
		if down {
			return errors.New("relay down")
		}
		return nil
	}}
	e2 := l2.engine(rec2, nil)
	if st := step(t, e2, l2.ctx); st.Sent != 0 {
		t.Fatalf("%+v", st)
	}
	down = false
	step(t, e2, l2.ctx) // before the backoff: not yet
	if len(rec2.sent) != 0 {
		t.Fatal("retried before its time")
	}
	l2.env.Clock.Advance(61 * time.Second)
	st = step(t, e2, l2.ctx)
	if len(rec2.sent) != 1 || st.Retried != 1 || rec2.sent[0].Channel != notices.ChannelEmail {
		t.Fatalf("sent %v %+v", rec2.keys(), st)
	}
}

// A patron who chose a digest gets one message a day with the notices in
// it.
func TestDigest(t *testing.T) {
	l := openLib(t, 1, "")
	p, _ := l.seed(t, 2)
	_, err := patronprefs.New(l.svc).SetMessaging(l.ctx, p.PatronID, domain.MessagingPrefs{Channel: "email", Digest: true, DaysInAdvance: 3,
		Notices: []string{domain.NoticePreDue, domain.NoticeOverdue}})
	must(t, err)
	rec := &recorder{}
	e := l.engine(rec, nil)
	step(t, e, l.ctx) // 10:00: the welcome, in a digest
	l.env.Clock.Advance(25 * 24 * time.Hour)
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	if len(rec.sent) != 2 {
		t.Fatalf("sent %v", rec.keys())
	}
	d := rec.sent[1]
	if d.Kind != notices.KindDigest || len(d.Parts) != 2 || d.Parts[0].Kind != notices.KindOverdue1 {
		t.Fatalf("digest %+v", d)
	}
	ns, err := e.PatronNotices(l.ctx, p.PatronID)
	must(t, err)
	for _, n := range ns {
		if n.Status != notices.StatusSent {
			t.Fatalf("notice %+v", n)
		}
	}
}

// An overdue rule with a block blocks the patron when its notice goes, and
// the block lifts once the items are back.
func TestOverdueRuleBlocksUntilReturned(t *testing.T) {
	l := openLib(t, 1, "")
	p, loans := l.seed(t, 1)
	_, err := notices.SetOverdueRule(l.ctx, l.svc, notices.OverdueRule{BranchID: "*", Category: "ADULT", Level: 1, DelayDays: 2, Block: true})
	must(t, err)
	if _, err := notices.SetOverdueRule(l.ctx, l.svc, notices.OverdueRule{BranchID: "*", Category: "ADULT", Level: 4}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("level 4: %v", err)
	}
	rec := &recorder{}
	e := l.engine(rec, nil)
	l.env.Clock.Advance(22 * 24 * time.Hour)
	step(t, e, l.ctx)
	if got, _ := l.svc.Patron(l.ctx, p.PatronID); got.Blocked {
		t.Fatal("blocked before the rule's delay")
	}
	l.env.Clock.Advance(24 * time.Hour)
	step(t, e, l.ctx)
	got, _ := l.svc.Patron(l.ctx, p.PatronID)
	if !got.Blocked {
		t.Fatalf("not blocked; sent %v", kinds(rec.sent))
	}
	_, err = l.svc.Checkin(l.ctx, domain.CheckinRequest{ItemID: loans[0].ItemID})
	must(t, err)
	step(t, e, l.ctx)
	if got, _ := l.svc.Patron(l.ctx, p.PatronID); got.Blocked {
		t.Fatal("still blocked after the return")
	}
}

// The monthly reading list: new arrivals by the authors (or on the
// subjects) a patron who opted in borrowed, once a month; a month with
// nothing to suggest is recorded dropped and sends nothing.
func TestReadingList(t *testing.T) {
	l := openLib(t, 1, "")
	p, loans := l.seed(t, 1)
	_, err := l.svc.Checkin(l.ctx, domain.CheckinRequest{ItemID: loans[0].ItemID})
	must(t, err)
	prefs := patronprefs.New(l.svc)
	_, err = prefs.SetMessaging(l.ctx, p.PatronID, domain.MessagingPrefs{Channel: "email", DaysInAdvance: 3,
		Notices: []string{domain.NoticeReadingList}})
	must(t, err)
	rec := &recorder{}
	e := l.engine(rec, nil)
	l.env.Clock.Advance(40 * 24 * time.Hour) // the seeded titles are old now
	_, err = l.svc.AddBiblio(l.ctx, domain.NewBiblio{Title: "Book 0, the sequel", Authors: []string{"Author, A"}})
	must(t, err)
	_, err = l.svc.AddBiblio(l.ctx, domain.NewBiblio{Title: "Unrelated", Authors: []string{"Someone, Else"}})
	must(t, err)
	step(t, e, l.ctx)
	step(t, e, l.ctx)
	var lists []notices.Message
	for _, m := range rec.sent {
		if m.Kind == notices.KindReadingList {
			lists = append(lists, m)
		}
	}
	if len(lists) != 1 || len(lists[0].Lines) != 1 || lists[0].Lines[0].Title != "Book 0, the sequel" {
		t.Fatalf("reading lists %+v", lists)
	}
	// Next month nothing new: dropped, not sent.
	l.env.Clock.Advance(40 * 24 * time.Hour)
	st := step(t, e, l.ctx)
	if st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
	n := 0
	for _, m := range rec.sent {
		if m.Kind == notices.KindReadingList {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("sent %d reading lists: %v", n, rec.keys())
	}
}
