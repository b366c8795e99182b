package patronprefs_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/patronprefs"
	"stacks/replicate"
)

type env struct {
	*branchtest.Env
	ctx   context.Context
	prefs *patronprefs.Service
	alice *domain.Patron
}

func open(t *testing.T, node replicate.NodeID) env {
	t.Helper()
	e := env{Env: branchtest.Open(t, branchtest.Options{Node: node}), ctx: branchtest.Admin(context.Background())}
	e.prefs = patronprefs.New(e.Service)
	return e
}

func seed(t *testing.T, e env) {
	t.Helper()
	branchtest.SeedPolicy(t, e.ctx, e.Service)
	p, err := e.Service.RegisterPatron(e.ctx, domain.NewPatron{Cardnumber: "21000000000001", Firstname: "Alice", Surname: "Archer",
		Category: "ADULT", PIN: "1234", Email: "alice@example.org"})
	must(t, err)
	e.alice = p
	for _, title := range []string{"Emma", "=HYPERLINK(\"x\")", "Dune"} {
		b, err := e.Service.AddBiblio(e.ctx, domain.NewBiblio{Title: title})
		must(t, err)
		_, err = e.Service.AddItem(e.ctx, domain.NewItem{Barcode: "B-" + title[:2], BiblioID: b.BiblioID, ItemType: "BOOK"})
		must(t, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e env) borrowAndReturn(t *testing.T, barcode string) {
	t.Helper()
	_, err := e.Service.Checkout(e.ctx, domain.CheckoutRequest{PatronID: e.alice.PatronID, Barcode: barcode})
	must(t, err)
	e.Clock.Advance(time.Hour)
	_, err = e.Service.Checkin(e.ctx, domain.CheckinRequest{Barcode: barcode})
	must(t, err)
	e.Clock.Advance(time.Hour)
}

// TestReadingHistory: off by default; kept from when it is turned on;
// exported as CSV with formulas defused; deleted on request; turning it
// off hides it.
func TestReadingHistory(t *testing.T) {
	e := open(t, 1)
	seed(t, e)
	pid := func() string {
		p, err := e.Service.PatronByCard(e.ctx, "21000000000001")
		must(t, err)
		return p.PatronID
	}()
	e.alice = &domain.Patron{PatronID: pid}
	e.borrowAndReturn(t, "B-Em")
	h, err := e.prefs.ReadingHistory(e.ctx, pid)
	must(t, err)
	if h.Enabled || len(h.Entries) != 0 {
		t.Fatalf("history before opting in: %+v", h)
	}
	must(t, e.prefs.SetReadingHistory(e.ctx, pid, true))
	e.Clock.Advance(time.Minute)
	e.borrowAndReturn(t, "B-=H")
	e.borrowAndReturn(t, "B-Du")
	h, err = e.prefs.ReadingHistory(e.ctx, pid)
	must(t, err)
	if !h.Enabled || h.Since == "" || len(h.Entries) != 2 || h.Entries[0].Title != "Dune" {
		t.Fatalf("history: %+v", h)
	}
	var buf bytes.Buffer
	must(t, patronprefs.WriteCSV(&buf, h.Entries))
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "title,") ||
		!strings.HasPrefix(lines[2], `"'=HYPERLINK(""x"")"`) {
		t.Errorf("csv:\n%s", buf.String())
	}
	must(t, e.prefs.ClearReadingHistory(e.ctx, pid))
	e.Clock.Advance(time.Minute)
	e.borrowAndReturn(t, "B-Em")
	h, err = e.prefs.ReadingHistory(e.ctx, pid)
	must(t, err)
	if len(h.Entries) != 1 || h.Entries[0].Title != "Emma" {
		t.Fatalf("after deleting: %+v", h.Entries)
	}
	must(t, e.prefs.SetReadingHistory(e.ctx, pid, false))
	h, err = e.prefs.ReadingHistory(e.ctx, pid)
	must(t, err)
	if h.Enabled || len(h.Entries) != 0 {
		t.Fatalf("after turning off: %+v", h)
	}
	if _, err := e.prefs.ReadingHistory(e.ctx, "nobody"); domain.ErrorCode(err) != domain.CodePatronNotFound && domain.ErrorCode(err) != domain.CodeNotFound {
		t.Errorf("unknown patron: %v", err)
	}
}

func TestMessagingPrefs(t *testing.T) {
	e := open(t, 1)
	seed(t, e)
	p, err := e.Service.PatronByCard(e.ctx, "21000000000001")
	must(t, err)
	got, err := e.prefs.Messaging(e.ctx, p.PatronID)
	must(t, err)
	if got.Channel != "email" || got.DaysInAdvance != 3 || len(got.Notices) != 3 || got.Digest {
		t.Errorf("defaults: %+v", got)
	}
	for name, bad := range map[string]domain.MessagingPrefs{
		"channel":    {Channel: "pigeon"},
		"days":       {Channel: "email", DaysInAdvance: 30},
		"notice":     {Channel: "email", Notices: []string{"birthday"}},
		"sms, phone": {Channel: "sms", Notices: []string{domain.NoticeOverdue}},
	} {
		if _, err := e.prefs.SetMessaging(e.ctx, p.PatronID, bad); domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	want := domain.MessagingPrefs{Channel: "email", Digest: true, DaysInAdvance: 2, Notices: []string{domain.NoticeOverdue, domain.NoticeHoldReady, domain.NoticeOverdue}}
	_, err = e.prefs.SetMessaging(e.ctx, p.PatronID, want)
	must(t, err)
	got, err = e.prefs.Messaging(e.ctx, p.PatronID)
	must(t, err)
	if !got.Digest || got.DaysInAdvance != 2 || strings.Join(got.Notices, ",") != "hold_ready,overdue" {
		t.Errorf("got %+v", got)
	}
}

// TestPrefsConverge: concurrent choices on two nodes end the same on both
// (last writer wins per field), whatever order they are merged in.
func TestPrefsConverge(t *testing.T) {
	a, b := open(t, 1), open(t, 2)
	seed(t, a)
	branchtest.Exchange(t, a.Service, b.Service)
	p, err := a.Service.PatronByCard(a.ctx, "21000000000001")
	must(t, err)
	_, err = a.prefs.SetMessaging(a.ctx, p.PatronID, domain.MessagingPrefs{Channel: "email", DaysInAdvance: 1})
	must(t, err)
	b.Clock.Advance(time.Second)
	_, err = b.prefs.SetMessaging(b.ctx, p.PatronID, domain.MessagingPrefs{Channel: "email", DaysInAdvance: 5})
	must(t, err)
	must(t, b.prefs.SetReadingHistory(b.ctx, p.PatronID, true))
	branchtest.Exchange(t, a.Service, b.Service)
	branchtest.Exchange(t, b.Service, a.Service)
	for _, e := range []env{a, b} {
		m, err := e.prefs.Messaging(e.ctx, p.PatronID)
		must(t, err)
		h, err := e.prefs.ReadingHistory(e.ctx, p.PatronID)
		must(t, err)
		if m.DaysInAdvance != 5 || !h.Enabled {
			t.Errorf("node %v: %+v %+v", e.Log.Node(), m, h)
		}
	}
	ha, err := a.Service.StateHash(context.Background())
	must(t, err)
	hb, err := b.Service.StateHash(context.Background())
	must(t, err)
	if ha != hb {
		t.Error("state hashes differ")
	}
}
