package branch_test

import (
	"context"
	"testing"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

type fakeClock = replicatetest.Clock

type env struct {
	t     testing.TB
	svc   *branch.Service
	log   *replicate.Log
	db    *replicate.DB
	clock *fakeClock
	ctx   context.Context // acts as admin at the desk
	clerk context.Context // acts as a circulation clerk
}

// monday is 2026-11-23, a Monday.
var monday = branchtest.Monday

func mustNoErr(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

func openEnv(tb testing.TB, dir string, node replicate.NodeID, branchID string, clock *fakeClock) *env {
	return openEnvOpt(tb, dir, node, branchID, clock, replicate.DBOptions{})
}

func openEnvOpt(tb testing.TB, dir string, node replicate.NodeID, branchID string, clock *fakeClock, opt replicate.DBOptions) *env {
	tb.Helper()
	return openEnvWith(tb, branchtest.Options{Node: node, Branch: branchID, Dir: dir, Clock: clock, DBOptions: opt})
}

func openEnvWith(tb testing.TB, o branchtest.Options) *env {
	tb.Helper()
	ctx := context.Background()
	clock := o.Clock.(*fakeClock)
	be := branchtest.Open(tb, o)
	return &env{t: tb, svc: be.Service, log: be.Log, db: be.DB, clock: clock, ctx: branchtest.Admin(ctx),
		clerk: domain.WithActor(ctx, domain.Actor{ID: "clerk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})}
}

// newEnv is a branch MAIN (with a second branch EAST) with categories,
// item types, rules and a calendar closed on Sundays.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := openEnv(tb, tb.TempDir(), 1, "MAIN", replicatetest.NewClock(monday))
	e.setup()
	return e
}

func (e *env) setup() {
	tb := e.t
	tb.Helper()
	for _, l := range []domain.Library{{BranchID: "MAIN", Name: "Main Library", HoldShelfDays: 7}, {BranchID: "EAST", Name: "Eastside", HoldShelfDays: 5}} {
		mustNoErr(tb, e.svc.SetLibrary(e.ctx, l))
	}
	mustNoErr(tb, e.svc.SetCategory(e.ctx, domain.Category{Category: "ADULT", MaxFineCents: 1000, EnrolmentMonths: 12, MaxHolds: 3}))
	mustNoErr(tb, e.svc.SetCategory(e.ctx, domain.Category{Category: "CHILD", MaxFineCents: 500, EnrolmentMonths: 12, MaxHolds: 2}))
	for _, it := range []domain.ItemType{{ItemType: "BOOK", ReplacementCents: 2500, ProcessingCents: 500}, {ItemType: "DVD", ReplacementCents: 3000}, {ItemType: "REF"}} {
		mustNoErr(tb, e.svc.SetItemType(e.ctx, it))
	}
	for _, r := range []domain.Rule{
		{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2, MaxLoans: 5, FineCents: 25, GraceDays: 2, MaxFineCents: 500, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "DVD", LoanDays: 7, Renewals: 1, MaxLoans: 2, FineCents: 100, GraceDays: 0, MaxFineCents: 1000, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "REF", LoanDays: 0, HoldsAllowed: false},
		{BranchID: "*", Category: "CHILD", ItemType: "DVD", LoanDays: 7, Renewals: 0, MaxLoans: 1, FineCents: 10, MaxFineCents: 100, HoldsAllowed: false},
		{BranchID: "EAST", Category: "*", ItemType: "*", LoanDays: 14, Renewals: 3, MaxLoans: 5, FineCents: 20, MaxFineCents: 400, HoldsAllowed: true},
	} {
		mustNoErr(tb, e.svc.SetRule(e.ctx, r))
	}
	for wd := 1; wd <= 6; wd++ {
		mustNoErr(tb, e.svc.SetOpeningHours(e.ctx, domain.OpeningHours{BranchID: "MAIN", Weekday: wd, Opens: "09:00", Closes: "18:00"}))
	}
	mustNoErr(tb, e.svc.SetOpeningHours(e.ctx, domain.OpeningHours{BranchID: "MAIN", Weekday: 0}))
}

func (e *env) patron(card, category string) *domain.Patron {
	e.t.Helper()
	p, err := e.svc.RegisterPatron(e.ctx, domain.NewPatron{Cardnumber: card, Firstname: "Pat", Surname: "Ron " + card,
		Category: category, PIN: "1234", HomeBranch: "MAIN"})
	mustNoErr(e.t, err)
	return p
}

func (e *env) title(name string) *domain.Biblio {
	e.t.Helper()
	b, err := e.svc.AddBiblio(e.ctx, domain.NewBiblio{Title: name, Authors: []string{"Author, A."}, Format: "book"})
	mustNoErr(e.t, err)
	return b
}

func (e *env) item(b *domain.Biblio, barcode, itemType, home string) *domain.Item {
	e.t.Helper()
	it, err := e.svc.AddItem(e.ctx, domain.NewItem{Barcode: barcode, BiblioID: b.BiblioID, ItemType: itemType, HomeBranch: home, PriceCents: 0})
	mustNoErr(e.t, err)
	return it
}

func (e *env) checkout(card, barcode string) (*domain.CheckoutResult, error) {
	return e.svc.Checkout(e.clerk, domain.CheckoutRequest{Cardnumber: card, Barcode: barcode})
}

func (e *env) hash() string {
	e.t.Helper()
	h, err := e.svc.StateHash(context.Background())
	mustNoErr(e.t, err)
	return h
}
