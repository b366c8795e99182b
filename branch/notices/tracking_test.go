package notices_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/notices"
)

// A bounce reported after the relay accepted the message fails that
// notice alone (why), flags the address, falls back to the next channel
// (SMS) for this notice, and the patron's later notices skip the bounced
// address until staff clear it. A 4.x.x is only a delay; bad reports are
// refused with a clear error.
func TestBounceFailsTheNoticeAndFlagsTheAddress(t *testing.T) {
	l := openLib(t, 1, "")
	p, _ := l.seed(t, 1)
	rec := &recorder{}
	counts := map[string]int{}
	e := notices.New(l.svc, notices.Config{Node: "1", Sender: rec, Count: func(ev, kind, ch string) { counts[ev+"/"+kind+"/"+ch]++ }})
	step(t, e, l.ctx) // the welcome, by email
	if len(rec.sent) != 1 || rec.sent[0].Channel != notices.ChannelEmail {
		t.Fatalf("sent %+v", rec.sent)
	}
	key := rec.sent[0].Key
	sum := sha256.Sum256([]byte(key))
	msgID := "<notice." + hex.EncodeToString(sum[:16]) + "@example.org>"

	for _, bad := range []notices.Bounce{{Key: key, Status: "550"}, {Key: key, Status: "2.0.0"}, {Status: "5.1.1"},
		{MessageID: "<other@example.org>", Status: "5.1.1"}} {
		if _, err := e.Bounce(l.ctx, bad); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := e.Bounce(l.ctx, notices.Bounce{Key: "welcome:nobody:email", Status: "5.1.1"}); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("unknown key: %v", err)
	}
	res, err := e.Bounce(l.ctx, notices.Bounce{MessageID: msgID, Status: "4.4.7", Diagnostic: "still trying"})
	must(t, err)
	if res.Action != "delayed" || res.Key != key {
		t.Fatalf("delay: %+v", res)
	}
	if n, _ := e.Notice(l.ctx, key); n.Status != notices.StatusSent {
		t.Fatalf("a delay changed the notice: %+v", n)
	}

	res, err = e.Bounce(l.ctx, notices.Bounce{MessageID: msgID, Status: "5.1.1", Diagnostic: "user unknown"})
	must(t, err)
	if res.Action != "failed" || res.Key != key || res.Fallback != strings.TrimSuffix(key, ":email")+":sms" {
		t.Fatalf("bounce: %+v", res)
	}
	n, err := e.Notice(l.ctx, key)
	must(t, err)
	if n.Status != notices.StatusFailed || n.Reason != "bounced 5.1.1: user unknown" || n.BouncedAt == "" {
		t.Fatalf("bounced notice %+v", n)
	}
	if len(rec.sent) != 2 || rec.sent[1].Channel != notices.ChannelSMS || rec.sent[1].Kind != notices.KindWelcome {
		t.Fatalf("no fallback to SMS: %+v", rec.sent)
	}
	fs, err := e.ContactFlags(l.ctx, p.PatronID)
	must(t, err)
	if len(fs) != 1 || fs[0].Channel != notices.ChannelEmail || fs[0].Address != "ann@example.org" || !strings.Contains(fs[0].Reason, "5.1.1") {
		t.Fatalf("flags %+v", fs)
	}
	if counts["failed/welcome/email"] != 1 || counts["sent/welcome/email"] != 1 || counts["sent/welcome/sms"] != 1 || counts["bounced/welcome/email"] != 1 {
		t.Fatalf("counts %v", counts)
	}

	// A later notice (the loan's pre-due) goes by SMS, not the bounced
	// address.
	l.env.Clock.Advance(20 * 24 * time.Hour)
	step(t, e, l.ctx)
	last := rec.sent[len(rec.sent)-1]
	if last.Kind != notices.KindPreDue || last.Channel != notices.ChannelSMS {
		t.Fatalf("later notice %+v", last)
	}
}

// Print notices are marked posted; the statistics count a period's
// notices per kind and channel, with open and click rates.
func TestPostedAndStats(t *testing.T) {
	l := openLib(t, 1, "")
	l.seed(t, 0)
	_, err := l.svc.RegisterPatron(l.ctx, domain.NewPatron{Cardnumber: "21000000000009", Firstname: "Pat", Surname: "Post",
		Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
	must(t, err)
	rec := &recorder{}
	e := l.engine(rec, nil)
	step(t, e, l.ctx)
	list, err := e.PrintList(l.ctx, "", "")
	must(t, err)
	if len(list) != 1 || list[0].Notice.Channel != notices.ChannelPrint {
		t.Fatalf("print list %+v", list)
	}
	pk := list[0].Notice.Key
	if _, err := e.MarkPosted(l.ctx, []string{rec.sent[0].Key}); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Fatalf("an email marked posted: %v", err)
	}
	n, err := e.MarkPosted(l.ctx, []string{pk})
	must(t, err)
	at, err := e.PostedAt(l.ctx, []string{pk})
	must(t, err)
	if n != 1 || at[pk] == "" {
		t.Fatalf("posted %d %v", n, at)
	}
	must(t, e.Opened(l.ctx, rec.sent[0].Key))
	must(t, e.Clicked(l.ctx, rec.sent[0].Key, "https://x.example/"))

	today := l.svc.Now().Format(domain.DateLayout)
	st, err := e.Stats(l.ctx, today, today)
	must(t, err)
	if len(st.Rows) != 2 || st.Total.Notices != 2 || st.Total.Sent != 2 {
		t.Fatalf("stats %+v", st)
	}
	em := st.Rows[0]
	if em.Kind != notices.KindWelcome || em.Channel != notices.ChannelEmail || em.Opened != 1 || em.Clicked != 1 || em.OpenRate != 1 || em.ClickRate != 1 {
		t.Fatalf("email row %+v", em)
	}
	tomorrow := l.svc.Now().AddDate(0, 0, 1).Format(domain.DateLayout)
	st, err = e.Stats(l.ctx, tomorrow, tomorrow)
	must(t, err)
	if len(st.Rows) != 0 || st.Total.Notices != 0 {
		t.Fatalf("tomorrow %+v", st)
	}
	for _, bad := range [][2]string{{"x", today}, {tomorrow, today}} {
		if _, err := e.Stats(l.ctx, bad[0], bad[1]); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// An overdue rule counted in open days, set through the engine and read
// from the branch's real calendar (closed days set by staff): the first
// overdue notice waits for the branch's next open day.
func TestOverdueRuleInOpenDays(t *testing.T) {
	l := openLib(t, 1, "")
	_, loans := l.seed(t, 1)
	rule, err := notices.SetOverdueRule(l.ctx, l.svc, notices.OverdueRule{BranchID: "*", Category: "*", Level: 1, DelayDays: 1, OpenDays: true})
	must(t, err)
	rs, err := notices.OverdueRules(l.ctx, l.svc.Read())
	must(t, err)
	if !rule.OpenDays || len(rs) != 1 || !rs[0].OpenDays {
		t.Fatalf("rules %+v", rs)
	}
	due, err := time.ParseInLocation(domain.DateLayout, loans[0].DueDate, l.svc.Now().Location())
	must(t, err)
	// The three days after the due date are holidays.
	for i := 1; i <= 3; i++ {
		must(t, l.svc.SetClosedDay(l.ctx, domain.ClosedDay{BranchID: loans[0].BranchID, Date: due.AddDate(0, 0, i).Format(domain.DateLayout),
			Closed: true, Reason: "holiday"}))
	}
	rec := &recorder{}
	e := l.engine(rec, nil)
	l.env.Clock.Set(due.Add(12 * time.Hour))
	step(t, e, l.ctx)
	for day := 1; day <= 4; day++ {
		l.env.Clock.Set(due.AddDate(0, 0, day).Add(12 * time.Hour))
		step(t, e, l.ctx)
		var over bool
		for _, m := range rec.sent {
			over = over || m.Kind == notices.KindOverdue1
		}
		if over != (day == 4) {
			t.Fatalf("day %d after the due date: 1st overdue sent %v (%v)", day, over, kinds(rec.sent))
		}
	}
}

// A bounce reported to a node that did not send the notice fails it
// there; the node that sent it, once it learns of the bounce, sends the
// notice through the patron's next channel (SMS), once, however many runs
// follow.
func TestBounceAtAnotherNodeFallsBackAtTheSender(t *testing.T) {
	a := openLib(t, 1, "")
	b := openLib(t, 2, "")
	a.seed(t, 1)
	recA, recB := &recorder{}, &recorder{}
	ea := notices.New(a.svc, notices.Config{Node: "1", Sender: recA})
	eb := notices.New(b.svc, notices.Config{Node: "2", Sender: recB})
	step(t, ea, a.ctx) // the welcome, by email, from a
	if len(recA.sent) != 1 || recA.sent[0].Channel != notices.ChannelEmail {
		t.Fatalf("a sent %+v", recA.sent)
	}
	key := recA.sent[0].Key
	branchtest.Exchange(t, a.svc, b.svc)
	res, err := eb.Bounce(b.ctx, notices.Bounce{Key: key, Status: "5.1.1", Diagnostic: "user unknown"})
	must(t, err)
	if res.Action != "failed" || res.Fallback != "" || len(recB.sent) != 0 {
		t.Fatalf("at b: %+v, b sent %v", res, recB.keys())
	}
	step(t, ea, a.ctx)
	if len(recA.sent) != 1 {
		t.Fatalf("a fell back before it knew of the bounce: %v", recA.keys())
	}
	for range 3 {
		branchtest.Exchange(t, b.svc, a.svc)
		step(t, ea, a.ctx)
		step(t, eb, b.ctx)
		branchtest.Exchange(t, a.svc, b.svc)
	}
	if len(recA.sent) != 2 || recA.sent[1].Channel != notices.ChannelSMS || recA.sent[1].Kind != notices.KindWelcome || len(recB.sent) != 0 {
		t.Fatalf("a sent %v, b sent %v: want the welcome once more, by SMS, from a", recA.keys(), recB.keys())
	}
	n, err := eb.Notice(b.ctx, recA.sent[1].Key)
	must(t, err)
	if n.Status != notices.StatusSent || n.FallbackOf != key {
		t.Fatalf("the fallback at b: %+v", n)
	}
}
