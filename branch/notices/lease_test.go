package notices_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/notices"
	"stacks/replicate"
)

// dying passes a node's claims to central, grants it starts only while
// starts > 0, and then the node is gone: every later request fails.
type dying struct {
	cen    *central
	starts int
	dead   bool
}

func (d *dying) Decide(ctx context.Context, req []byte) ([]byte, []replicate.Op, error) {
	if d.dead {
		return nil, nil, errors.New("the node is gone")
	}
	if strings.Contains(string(req), `"start":`) {
		if d.starts == 0 {
			d.dead = true
			return nil, nil, errors.New("the node crashed")
		}
		d.starts--
	}
	return d.cen.Decide(ctx, req)
}

// A node claims two welcomes, starts sending one, and crashes for good.
// Another node takes over the one never started once the lease ran out
// (not before), by central's clock, and sends it once; the one whose send
// began is never taken over nor sent again. When the first node comes
// back (it was only cut off), central refuses it the start of what was
// taken over from it. The one whose send began shows unknown once the
// lease passed, until the first node comes back with its outcome (sent),
// which wins.
func TestLeaseTakeover(t *testing.T) {
	a := openLib(t, 1, "")
	b := openLib(t, 2, "")
	c := openLib(t, 3, "")
	a.seed(t, 0)
	_, err := a.svc.RegisterPatron(a.ctx, domain.NewPatron{Cardnumber: "21000000000002", Firstname: "Bo", Surname: "Baker",
		Email: "bo@example.org", Category: "ADULT", PIN: "1234", HomeBranch: "MAIN"})
	must(t, err)
	branchtest.Exchange(t, a.svc, b.svc)
	branchtest.Exchange(t, a.svc, c.svc)
	cen := &central{l: c}
	recA, recB := &recorder{}, &recorder{}
	die := &dying{cen: cen, starts: 1}
	ea := notices.New(a.svc, notices.Config{Node: "1", Sender: recA, Remote: die})
	st, err := ea.Step(a.ctx)
	must(t, err)
	if st.Claimed != 2 || len(recA.sent) != 1 || !die.dead {
		t.Fatalf("a: %+v, sent %v", st, recA.keys())
	}
	started := recA.sent[0].Key
	branchtest.Exchange(t, c.svc, b.svc) // b learns the claims from central (not a's own ops: a is gone)

	eb := notices.New(b.svc, notices.Config{Node: "2", Sender: recB, Remote: cen, ClaimLease: 30 * time.Minute})
	advance := func(d time.Duration) {
		for _, l := range []*lib{a, b, c} {
			l.env.Clock.Advance(d)
		}
	}
	step(t, eb, b.ctx)
	advance(29 * time.Minute)
	if st := step(t, eb, b.ctx); len(recB.sent) != 0 || st.TakenOver != 0 {
		t.Fatalf("taken over within the lease: %+v %v", st, recB.keys())
	}
	advance(2 * time.Minute)
	st = step(t, eb, b.ctx)
	if st.TakenOver != 1 || len(recB.sent) != 1 || recB.sent[0].Key == started {
		t.Fatalf("after the lease: %+v, b sent %v (a started %s)", st, recB.keys(), started)
	}
	taken := recB.sent[0].Key
	for range 5 {
		advance(24 * time.Hour)
		step(t, eb, b.ctx)
		branchtest.Exchange(t, c.svc, b.svc)
	}
	if len(recB.sent) != 1 {
		t.Fatalf("b sent %v: the started one must never be taken over", recB.keys())
	}
	n, err := eb.Notice(b.ctx, taken)
	must(t, err)
	if n.Status != notices.StatusSent || n.ClaimedBy != "2" {
		t.Fatalf("taken over notice %+v", n)
	}
	n, err = eb.Notice(b.ctx, started)
	must(t, err)
	if n.Status != notices.StatusUnknown || n.ClaimedBy != "1" || !strings.Contains(n.Reason, "fell silent") {
		t.Fatalf("started notice %+v: once the lease passed it is unknown, for staff to resend, not sending for ever", n)
	}

	// a comes back (it was only cut off, and had recorded its send): central
	// refuses it the start of the notice taken over from it.
	ea2 := notices.New(a.svc, notices.Config{Node: "1", Sender: recA, Remote: cen})
	st, err = ea2.Step(a.ctx)
	must(t, err)
	if len(recA.sent) != 1 || st.Sent != 0 {
		t.Fatalf("a after coming back: %+v, sent %v", st, recA.keys())
	}
	branchtest.Exchange(t, a.svc, c.svc)
	branchtest.Exchange(t, b.svc, c.svc)
	n, err = notices.New(c.svc, notices.Config{Node: "3"}).Notice(c.ctx, taken)
	must(t, err)
	if n.ClaimedBy != "2" || n.Status != notices.StatusSent {
		t.Fatalf("at central after a came back: %+v", n)
	}
	n, err = notices.New(c.svc, notices.Config{Node: "3"}).Notice(c.ctx, started)
	must(t, err)
	if n.ClaimedBy != "1" || n.Status != notices.StatusSent {
		t.Fatalf("a's own send at central: %+v", n)
	}
}
