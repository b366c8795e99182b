package branch_test

import (
	"slices"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// A suspended hold keeps its place but is skipped by trapping until its
// date; resumed, it is trapped again.
func TestSuspendedHoldSkippedByTrapping(t *testing.T) {
	e := newEnv(t)
	e.patron("1", "ADULT")
	first := e.patron("2", "ADULT")
	second := e.patron("3", "ADULT")
	b := e.title("Popular novel")
	e.item(b, "B1", "BOOK", "MAIN")
	_, err := e.checkout("1", "B1")
	mustNoErr(t, err)
	h1, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: first.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)
	e.clock.Advance(time.Minute)
	h2, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: second.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)

	today := e.svc.Now().Format(domain.DateLayout)
	if _, err := e.svc.SuspendHold(e.ctx, h1.HoldID, today); ErrCode(err) != domain.CodeInvalid {
		t.Fatalf("suspend until today: %v", err)
	}
	if _, err := e.svc.SuspendHold(e.ctx, h1.HoldID, "next week"); ErrCode(err) != domain.CodeInvalid {
		t.Fatalf("suspend until a non-date: %v", err)
	}
	until := e.svc.Now().AddDate(0, 0, 10).Format(domain.DateLayout)
	s, err := e.svc.SuspendHold(e.ctx, h1.HoldID, until)
	mustNoErr(t, err)
	if s.SuspendedUntil != until || s.Priority != 1 || !s.Suspended(today) {
		t.Fatalf("suspended hold %+v", s)
	}
	// The item comes back: the suspended first hold is skipped.
	ci, err := e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "B1"})
	mustNoErr(t, err)
	if ci.Hold == nil || ci.Hold.HoldID != h2.HoldID || ci.Hold.Status != domain.HoldReady {
		t.Fatalf("checkin trapped %+v, want the second hold", ci.Hold)
	}
	// A trapped hold can no longer be suspended.
	if _, err := e.svc.SuspendHold(e.ctx, h2.HoldID, until); ErrCode(err) != domain.CodeHoldNotActive {
		t.Fatalf("suspend a ready hold: %v", err)
	}
	// Resumed, the first hold is trapped by the next copy.
	r, err := e.svc.SuspendHold(e.ctx, h1.HoldID, "")
	mustNoErr(t, err)
	if r.SuspendedUntil != "" {
		t.Fatalf("resumed hold %+v", r)
	}
	e.item(b, "B2", "BOOK", "MAIN")
	ci, err = e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "B2"})
	mustNoErr(t, err)
	if ci.Hold == nil || ci.Hold.HoldID != h1.HoldID {
		t.Fatalf("after resume checkin trapped %+v, want the first hold", ci.Hold)
	}
}

// A suspension ends by itself on its date.
func TestSuspensionEndsOnItsDate(t *testing.T) {
	e := newEnv(t)
	p := e.patron("2", "ADULT")
	b := e.title("Novel")
	h, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: b.BiblioID})
	mustNoErr(t, err)
	until := e.svc.Now().AddDate(0, 0, 2).Format(domain.DateLayout)
	_, err = e.svc.SuspendHold(e.ctx, h.HoldID, until)
	mustNoErr(t, err)
	e.item(b, "B1", "BOOK", "MAIN")
	shelf, err := e.svc.HoldShelf(e.ctx)
	mustNoErr(t, err)
	if len(shelf.ToPull) != 0 {
		t.Fatalf("a suspended hold asks for an item to pull: %+v", shelf.ToPull)
	}
	e.clock.Advance(48 * time.Hour)
	shelf, err = e.svc.HoldShelf(e.ctx)
	mustNoErr(t, err)
	if len(shelf.ToPull) != 1 {
		t.Fatalf("after its date the hold asks for no item")
	}
}

// A hold not needed after a date is skipped by trapping after it.
func TestHoldNotNeededAfter(t *testing.T) {
	e := newEnv(t)
	e.patron("1", "ADULT")
	p := e.patron("2", "ADULT")
	b := e.title("Novel")
	e.item(b, "B1", "BOOK", "MAIN")
	_, err := e.checkout("1", "B1")
	mustNoErr(t, err)
	yesterday := e.svc.Now().AddDate(0, 0, -1).Format(domain.DateLayout)
	if _, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: b.BiblioID, NotNeededAfter: yesterday}); ErrCode(err) != domain.CodeInvalid {
		t.Fatalf("not needed after yesterday: %v", err)
	}
	last := e.svc.Now().AddDate(0, 0, 3).Format(domain.DateLayout)
	h, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: b.BiblioID, NotNeededAfter: last})
	mustNoErr(t, err)
	if h.NotNeededAfter != last {
		t.Fatalf("hold %+v", h)
	}
	e.clock.Advance(5 * 24 * time.Hour)
	ci, err := e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "B1"})
	mustNoErr(t, err)
	if ci.Hold != nil {
		t.Fatalf("a hold past its date was trapped: %+v", ci.Hold)
	}
	// The sweep expires it, and does not list it among the shelf's.
	shelf, err := e.svc.ExpireHolds(e.ctx)
	mustNoErr(t, err)
	if len(shelf) != 0 {
		t.Fatalf("expired for the shelf: %+v", shelf)
	}
	got, err := e.svc.Hold(e.ctx, h.HoldID)
	mustNoErr(t, err)
	if got.Status != domain.HoldExpired {
		t.Fatalf("a hold past its date is %s", got.Status)
	}
}

func TestChangePickup(t *testing.T) {
	e := newEnv(t)
	p := e.patron("2", "ADULT")
	b := e.title("Novel")
	h, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)
	if _, err := e.svc.ChangePickup(e.ctx, h.HoldID, "NOWHERE"); err == nil {
		t.Fatal("changed pickup to an unknown branch")
	}
	c, err := e.svc.ChangePickup(e.ctx, h.HoldID, "EAST")
	mustNoErr(t, err)
	if c.PickupBranch != "EAST" {
		t.Fatalf("pickup %s", c.PickupBranch)
	}
}

// The new hold ops and the language field replicate, and fold to the same
// state in any order.
func TestHoldOpsAndLanguageConverge(t *testing.T) {
	e := newEnv(t)
	p := e.patron("2", "ADULT")
	b := e.title("Novel")
	h, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN",
		NotNeededAfter: e.svc.Now().AddDate(0, 1, 0).Format(domain.DateLayout)})
	mustNoErr(t, err)
	_, err = e.svc.SuspendHold(e.ctx, h.HoldID, e.svc.Now().AddDate(0, 0, 5).Format(domain.DateLayout))
	mustNoErr(t, err)
	_, err = e.svc.ChangePickup(e.ctx, h.HoldID, "EAST")
	mustNoErr(t, err)
	fi := "fi"
	_, err = e.svc.UpdatePatron(e.ctx, p.PatronID, domain.PatronUpdate{Language: &fi})
	mustNoErr(t, err)
	xx := "xx"
	if _, err := e.svc.UpdatePatron(e.ctx, p.PatronID, domain.PatronUpdate{Language: &xx}); ErrCode(err) != domain.CodeInvalid {
		t.Fatalf("unknown language: %v", err)
	}
	got, err := e.svc.Patron(e.ctx, p.PatronID)
	mustNoErr(t, err)
	if got.Language != "fi" {
		t.Fatalf("language %q", got.Language)
	}
	ops, err := e.log.AllOps(e.ctx)
	mustNoErr(t, err)
	kinds := map[string]bool{}
	for _, op := range ops {
		kinds[op.Kind] = true
	}
	for _, k := range []string{branch.KindHoldSuspend, branch.KindHoldPickup} {
		if !kinds[k] {
			t.Fatalf("no %s op", k)
		}
	}
	want := e.hash()
	reversed := slices.Clone(ops)
	slices.Reverse(reversed)
	for i, order := range [][]replicate.Op{ops, reversed} {
		other := openEnv(t, t.TempDir(), replicate.NodeID(10+i), "EAST", e.clock)
		for _, op := range order {
			_, err := other.log.Integrate(other.ctx, []replicate.Op{op})
			mustNoErr(t, err)
		}
		if got := other.hash(); got != want {
			t.Fatalf("order %d: state hash %s, want %s", i, got, want)
		}
		oh, err := other.svc.Hold(other.ctx, h.HoldID)
		mustNoErr(t, err)
		if oh.PickupBranch != "EAST" || oh.SuspendedUntil == "" || oh.NotNeededAfter == "" {
			t.Fatalf("order %d: replicated hold %+v", i, oh)
		}
	}
}
