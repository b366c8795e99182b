package branch_test

import (
	"errors"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
)

func TestHoldQueueAndTrap(t *testing.T) {
	e := newEnv(t)
	borrower := e.patron("1", "ADULT")
	first := e.patron("2", "ADULT")
	e.patron("3", "ADULT")
	b := e.title("Popular novel")
	e.item(b, "B1", "BOOK", "MAIN")
	_, err := e.checkout("1", "B1")
	mustNoErr(t, err)

	h1, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: first.PatronID, BiblioID: b.BiblioID, PickupBranch: "EAST"})
	mustNoErr(t, err)
	e.clock.Advance(time.Minute)
	h2, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{Cardnumber: "3", BiblioID: b.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)
	if h1.Priority != 1 || h2.Priority != 2 || h1.Status != domain.HoldWaiting {
		t.Fatalf("priorities %d %d", h1.Priority, h2.Priority)
	}
	if _, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: first.PatronID, BiblioID: b.BiblioID}); !errors.Is(err, domain.ErrDuplicateHold) {
		t.Fatalf("duplicate hold: %v", err)
	}
	if _, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: borrower.PatronID, BiblioID: b.BiblioID}); ErrCode(err) != "already_on_loan" {
		t.Fatalf("hold on own loan: %v", err)
	}

	// Checkin at MAIN: the first hold picks up at EAST, so the item travels.
	ci, err := e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "B1"})
	mustNoErr(t, err)
	if ci.Action != domain.ActionTransit || ci.TransitTo != "EAST" || ci.Hold.HoldID != h1.HoldID || ci.Item.Status != domain.ItemInTransit {
		t.Fatalf("checkin %+v", ci)
	}
	if ci.HoldPatron == nil || ci.HoldPatron.PatronID != first.PatronID {
		t.Fatal("no hold patron")
	}
	// Arrival at EAST puts it on EAST's hold shelf.
	east := openEnv(t, t.TempDir(), 2, "EAST", e.clock)
	ops, err := e.log.AllOps(e.ctx)
	mustNoErr(t, err)
	_, err = east.log.Integrate(e.ctx, ops)
	mustNoErr(t, err)
	// EAST expects it (the van's list); MAIN's item list finds it too.
	shelf, err := east.svc.HoldShelf(east.ctx)
	mustNoErr(t, err)
	if len(shelf.Incoming) != 1 || shelf.Incoming[0].Barcode != "B1" || shelf.Incoming[0].Location != "MAIN" || shelf.Incoming[0].Title != "Popular novel" {
		t.Fatalf("incoming at EAST %+v", shelf.Incoming)
	}
	for _, f := range []struct {
		to   string
		want int
	}{{"EAST", 1}, {"MAIN", 0}} {
		items, err := e.svc.Items(e.ctx, branch.ItemFilter{TransitTo: f.to})
		mustNoErr(t, err)
		if len(items) != f.want {
			t.Fatalf("items in transit to %s: %d, want %d", f.to, len(items), f.want)
		}
	}
	ci, err = east.svc.Checkin(east.clerk, domain.CheckinRequest{Barcode: "B1"})
	mustNoErr(t, err)
	if ci.Action != domain.ActionHoldShelf || ci.Item.Status != domain.ItemOnHoldShelf || ci.Hold.Status != domain.HoldReady {
		t.Fatalf("arrival %+v", ci)
	}
	if ci.Hold.ShelfExpires != "2026-11-28" { // EAST keeps holds 5 days
		t.Fatalf("shelf expires %s", ci.Hold.ShelfExpires)
	}
	shelf, err = east.svc.HoldShelf(east.ctx)
	mustNoErr(t, err)
	if len(shelf.Ready) != 1 || len(shelf.Incoming) != 0 {
		t.Fatalf("shelf %+v", shelf)
	}
	// Someone else cannot borrow it; the hold's patron can, and that fulfils it.
	if _, err := east.checkout("3", "B1"); !errors.Is(err, domain.ErrItemOnHold) {
		t.Fatalf("checkout by other: %v", err)
	}
	res, err := east.checkout("2", "B1")
	mustNoErr(t, err)
	if res.HoldFilled != h1.HoldID {
		t.Fatalf("hold filled %q", res.HoldFilled)
	}
	h, _ := east.svc.Hold(east.ctx, h1.HoldID)
	if h.Status != domain.HoldFulfilled {
		t.Fatalf("status %s", h.Status)
	}
	h, _ = east.svc.Hold(east.ctx, h2.HoldID)
	if h.Priority != 1 {
		t.Fatalf("second hold now at %d", h.Priority)
	}
}

func TestHoldShelfExpiryAndCancel(t *testing.T) {
	e := newEnv(t)
	p1 := e.patron("1", "ADULT")
	p2 := e.patron("2", "ADULT")
	b := e.title("A")
	it := e.item(b, "B1", "BOOK", "MAIN")
	h1, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p1.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)
	shelf, _ := e.svc.HoldShelf(e.ctx)
	if len(shelf.ToPull) != 1 || shelf.ToPull[0].Item.ItemID != it.ItemID {
		t.Fatalf("to pull %+v", shelf.ToPull)
	}
	e.clock.Advance(time.Minute)
	h2, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p2.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)
	ci, err := e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "B1"})
	mustNoErr(t, err)
	if ci.Action != domain.ActionHoldShelf || ci.Hold.ShelfExpires != "2026-11-30" {
		t.Fatalf("trap %+v", ci.Hold)
	}
	// Nothing expires on the last shelf day; the day after, it does.
	e.clock.Set(time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC))
	exp, err := e.svc.ExpireHolds(e.ctx)
	mustNoErr(t, err)
	if len(exp) != 0 {
		t.Fatalf("expired early %d", len(exp))
	}
	e.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	exp, err = e.svc.ExpireHolds(e.ctx)
	mustNoErr(t, err)
	if len(exp) != 1 || exp[0].HoldID != h1.HoldID {
		t.Fatalf("expired %+v", exp)
	}
	shelf, _ = e.svc.HoldShelf(e.ctx)
	if len(shelf.ToClear) != 1 || shelf.ToClear[0].ShelfName != "Ron 1, P." {
		t.Fatalf("to clear %+v", shelf.ToClear)
	}
	// Re-scanning the item traps it for the next hold.
	e.clock.Advance(time.Minute)
	ci, err = e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "B1"})
	mustNoErr(t, err)
	if ci.Hold == nil || ci.Hold.HoldID != h2.HoldID || ci.Action != domain.ActionHoldShelf {
		t.Fatalf("retrap %+v", ci)
	}
	shelf, _ = e.svc.HoldShelf(e.ctx)
	if len(shelf.ToClear) != 0 || len(shelf.Ready) != 1 {
		t.Fatalf("shelf after retrap %+v", shelf)
	}
	h, err := e.svc.CancelHold(e.ctx, h2.HoldID, "patron asked")
	mustNoErr(t, err)
	if h.Status != domain.HoldCancelled {
		t.Fatal(h.Status)
	}
	if _, err := e.svc.CancelHold(e.ctx, h2.HoldID, ""); !errors.Is(err, domain.ErrHoldState) {
		t.Fatalf("cancel twice: %v", err)
	}
	got, _ := e.svc.Item(e.ctx, it.ItemID)
	if got.Status != domain.ItemAvailable {
		t.Fatalf("item after cancel %s", got.Status)
	}
}

func TestHoldRefusals(t *testing.T) {
	e := newEnv(t)
	child := e.patron("1", "CHILD")
	adult := e.patron("2", "ADULT")
	b := e.title("Film")
	e.item(b, "D1", "DVD", "MAIN")
	if _, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: child.PatronID, BiblioID: b.BiblioID}); !errors.Is(err, domain.ErrHoldNotAllowed) {
		t.Fatalf("child DVD hold: %v", err)
	}
	for i := 0; i < 3; i++ {
		bb := e.title("T" + string(rune('a'+i)))
		_, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: adult.PatronID, BiblioID: bb.BiblioID})
		mustNoErr(t, err)
	}
	if _, err := e.svc.PlaceHold(e.clerk, domain.HoldRequest{PatronID: adult.PatronID, BiblioID: b.BiblioID}); !errors.Is(err, domain.ErrTooManyHolds) {
		t.Fatalf("fourth hold: %v", err)
	}
	if _, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: adult.PatronID, BiblioID: "nope"}); !errors.Is(err, domain.ErrBiblioNotFound) {
		t.Fatalf("unknown title: %v", err)
	}
	if _, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: adult.PatronID, BiblioID: b.BiblioID, PickupBranch: "MARS"}); ErrCode(err) != "library_not_found" {
		t.Fatalf("unknown pickup: %v", err)
	}
}

// ErrCode is the code of a branch error.
func ErrCode(err error) domain.Code { return domain.ErrorCode(err) }

func TestHoldsCarryPatronNames(t *testing.T) {
	e := newEnv(t)
	p := e.patron("1", "ADULT")
	b := e.title("A")
	h, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p.PatronID, BiblioID: b.BiblioID})
	mustNoErr(t, err)
	if h.PatronName != "Pat Ron 1" || h.Cardnumber != "1" {
		t.Fatalf("hold %+v", h)
	}
}

func TestShelfName(t *testing.T) {
	for _, c := range []struct{ first, sur, want string }{
		{"Bob", "Baker", "Baker, B."},
		{"émile", "Zola", "Zola, É."},
		{"  Ann ", " Lee ", "Lee, A."},
		{"", "Cher", "Cher"},
		{"Madonna", "", "Madonna"},
		{"", "", ""},
	} {
		if got := domain.ShelfName(c.first, c.sur); got != c.want {
			t.Errorf("ShelfName(%q, %q) = %q, want %q", c.first, c.sur, got, c.want)
		}
	}
}

// TestHoldShelfCarriesShelfNames: every hold the shelf lists (ready, to
// clear, to pull) names its patron as the shelf shows them, with the card,
// so a client reads no patron to show it.
func TestHoldShelfCarriesShelfNames(t *testing.T) {
	e := newEnv(t)
	p1 := e.patron("1", "ADULT")
	p2 := e.patron("2", "ADULT")
	b := e.title("A")
	e.item(b, "B1", "BOOK", "MAIN")
	c := e.title("C")
	e.item(c, "C1", "BOOK", "MAIN")
	_, err := e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p1.PatronID, BiblioID: b.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)
	_, err = e.svc.PlaceHold(e.ctx, domain.HoldRequest{PatronID: p2.PatronID, BiblioID: c.BiblioID, PickupBranch: "MAIN"})
	mustNoErr(t, err)
	_, err = e.svc.Checkin(e.clerk, domain.CheckinRequest{Barcode: "B1"})
	mustNoErr(t, err)
	shelf, err := e.svc.HoldShelf(e.ctx)
	mustNoErr(t, err)
	if len(shelf.Ready) != 1 || len(shelf.ToPull) != 1 {
		t.Fatalf("shelf %+v", shelf)
	}
	if h := shelf.Ready[0]; h.ShelfName != "Ron 1, P." || h.Cardnumber != "1" {
		t.Fatalf("ready hold names %q (%q)", h.ShelfName, h.Cardnumber)
	}
	if h := shelf.ToPull[0].Hold; h.ShelfName != "Ron 2, P." || h.Cardnumber != "2" {
		t.Fatalf("hold to pull names %q (%q)", h.ShelfName, h.Cardnumber)
	}
	// Elsewhere holds carry no shelf name.
	hs, err := e.svc.PatronHolds(e.ctx, p1.PatronID)
	mustNoErr(t, err)
	if len(hs) != 1 || hs[0].ShelfName != "" {
		t.Fatalf("patron holds %+v", hs)
	}
}
