// Package branchtest opens a branch service for tests: real SQLite in a
// temp dir, an op log on a fake clock, deterministic randomness, every
// capability the node runs (audit, imports, search), closed when the test ends. The suites
// of branch, node/httpapi, hardware/sip2 and node/client/clienttest build
// their libraries on it.
package branchtest

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"stacks/branch"
	"stacks/branch/audit"
	"stacks/branch/digital"
	"stacks/branch/domain"
	"stacks/branch/events"
	"stacks/branch/feedback"
	"stacks/branch/handoff"
	"stacks/branch/help"
	"stacks/branch/imports"
	"stacks/branch/insight"
	"stacks/branch/notices"
	"stacks/branch/patronprefs"
	"stacks/branch/privacy"
	"stacks/branch/recommend"
	"stacks/branch/search"
	"stacks/branch/websession"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// TB is the part of testing.TB the package needs.
type TB interface {
	Helper()
	Fatal(args ...any)
	TempDir() string
	Cleanup(func())
}

// Capabilities are the capabilities a node runs, as node wires them.
func Capabilities() []branch.Capability {
	caps := []branch.Capability{audit.Capability(), imports.Capability(), digital.Capability(), patronprefs.Capability(), handoff.Capability(), search.Capability(),
		websession.Capability(), notices.Capability(), help.Capability(), feedback.Capability(), recommend.Capability(), events.Capability(),
		insight.Capability(time.UTC)}
	return append(caps, privacy.Capability(caps...))
}

// Options change what Open opens; the zero value is node 1 of branch MAIN
// in UTC, on a fake clock.
type Options struct {
	Node   replicate.NodeID // 0: 1
	Branch string           // "": MAIN
	Dir    string           // "": a new temp dir; the database is Dir/stacks.db
	// Clock is the service's and the log's clock; nil: a fake clock at
	// 2026-11-23 10:00 UTC, a Monday.
	Clock  replicate.Clock
	Logger *slog.Logger // nil: discard
	// Rand seeds the deterministic randomness; 0: the node's ID.
	Rand byte
	// PINCost is the bcrypt cost; 0: 4, the least bcrypt allows.
	PINCost   int
	DBOptions replicate.DBOptions
	// Capabilities are the capabilities to run; nil: Capabilities().
	Capabilities []branch.Capability
	// Applier replaces the applier built from Capabilities (e.g. an
	// oracle); the zero value keeps it.
	Applier replicate.Applier
	// ObserveBatch is passed to the log (replicate.Config.ObserveBatch).
	ObserveBatch func(replicate.BatchTiming)
	// Deferred defers derived state to catch-up passes after the commit
	// (branch.Deferral), as a node does, with the service's catch-up loop
	// running until Close (unless NoCatchUpLoop). It needs the applier
	// built from Capabilities.
	Deferred      bool
	NoCatchUpLoop bool
	// CatchUpSettle is how long the catch-up loop waits after a note
	// before its pass (Service.RunCatchUp's settle), on the wall clock;
	// 0: none.
	CatchUpSettle time.Duration
}

// Monday is the default clock's start: 2026-11-23 10:00 UTC, a Monday.
var Monday = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// Env is an opened service and what lies under it.
type Env struct {
	Service *branch.Service
	Log     *replicate.Log
	DB      *replicate.DB
	// Clock is the fake clock if Options.Clock was nil or a fake one.
	Clock *replicatetest.Clock

	closeOnce sync.Once
	close     func()
}

// Close stops the catch-up loop and closes the log and the database (as
// the end of the test does), so that a test can open Dir again. Derived
// state noted but not yet caught up stays noted, as after a crash.
func (e *Env) Close() { e.closeOnce.Do(e.close) }

// Open opens a service; it closes when the test ends.
func Open(tb TB, o Options) *Env {
	tb.Helper()
	ctx := context.Background()
	if o.Node == 0 {
		o.Node = 1
	}
	if o.Branch == "" {
		o.Branch = "MAIN"
	}
	if o.Dir == "" {
		o.Dir = tb.TempDir()
	}
	if o.Clock == nil {
		o.Clock = replicatetest.NewClock(Monday)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == 0 {
		o.Rand = byte(o.Node)
	}
	if o.PINCost == 0 {
		o.PINCost = 4
	}
	if o.Capabilities == nil {
		o.Capabilities = Capabilities()
	}
	applier := o.Applier
	var deferral *branch.Deferral
	if applier == nil {
		a, err := branch.NewApplier(o.Capabilities...)
		if err != nil {
			tb.Fatal(err)
		}
		if o.Deferred {
			deferral = branch.NewDeferral()
			a = a.Deferring(deferral)
		}
		applier = a
	}
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(o.Dir, "stacks.db"), branch.Migrations(o.Capabilities...), o.DBOptions)
	if err != nil {
		tb.Fatal(err)
	}
	lg := replicate.NewLog(db, replicate.Config{Node: o.Node, Clock: o.Clock, MaxBatch: 64, Logger: o.Logger, ObserveBatch: o.ObserveBatch}, applier)
	if err := lg.Open(ctx); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	e := &Env{Log: lg, DB: db}
	stop := func() {}
	e.close = func() { stop(); lg.Close(); db.Close() }
	tb.Cleanup(e.Close)
	svc, err := branch.NewService(lg, branch.Config{Branch: o.Branch, Location: time.UTC, Clock: o.Clock,
		Rand: replicatetest.NewRand(o.Rand), Logger: o.Logger, PINCost: o.PINCost, Capabilities: o.Capabilities, Deferral: deferral})
	if err != nil {
		tb.Fatal(err)
	}
	e.Service = svc
	if deferral != nil && !o.NoCatchUpLoop {
		loop, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		var settle func() <-chan time.Time
		if o.CatchUpSettle > 0 {
			settle = func() <-chan time.Time { return time.After(o.CatchUpSettle) }
		}
		go func() { defer close(done); svc.RunCatchUp(loop, nil, settle) }()
		stop = func() { cancel(); <-done }
	}
	e.Clock, _ = o.Clock.(*replicatetest.Clock)
	return e
}

// Admin is ctx acting as the admin at the desk.
func Admin(ctx context.Context) context.Context {
	return domain.WithActor(ctx, domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
}

// Exchange merges into to the ops of from that it lacks.
func Exchange(tb TB, from, to *branch.Service) {
	tb.Helper()
	ctx := context.Background()
	vv, err := to.Log().VersionVector(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	ops, err := from.Log().Ops(ctx, vv, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := to.Log().Integrate(ctx, ops); err != nil {
		tb.Fatal(err)
	}
}

// SeedPolicy gives svc the policy the desk-facing suites (node/httpapi and
// node/client/clienttest) lend under: libraries MAIN (7 shelf days) and
// EAST (5), categories ADULT and CHILD, item types BOOK, DVD and REF (not
// for loan), and a rules matrix with a DVD row and a CHILD row. ctx acts
// as an admin (Admin).
func SeedPolicy(tb TB, ctx context.Context, svc *branch.Service) {
	tb.Helper()
	do := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	do(svc.SetLibrary(ctx, domain.Library{BranchID: "MAIN", Name: "Main Library", HoldShelfDays: 7}))
	do(svc.SetLibrary(ctx, domain.Library{BranchID: "EAST", Name: "East Branch", HoldShelfDays: 5}))
	do(svc.SetCategory(ctx, domain.Category{Category: "ADULT", Description: "Adult", MaxFineCents: 1000, EnrolmentMonths: 12, MaxHolds: 5}))
	do(svc.SetCategory(ctx, domain.Category{Category: "CHILD", Description: "Child", MaxFineCents: 500, EnrolmentMonths: 12, MaxHolds: 2}))
	do(svc.SetItemType(ctx, domain.ItemType{ItemType: "BOOK", Description: "Book", ReplacementCents: 2000, ProcessingCents: 300}))
	do(svc.SetItemType(ctx, domain.ItemType{ItemType: "DVD", Description: "DVD", ReplacementCents: 1500}))
	do(svc.SetItemType(ctx, domain.ItemType{ItemType: "REF", Description: "Reference"}))
	for _, r := range []domain.Rule{
		{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2, MaxLoans: 10, FineCents: 25, MaxFineCents: 500, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "DVD", LoanDays: 7, Renewals: 1, MaxLoans: 3, FineCents: 100, MaxFineCents: 1000, HoldsAllowed: true},
		{BranchID: "*", Category: "*", ItemType: "REF", LoanDays: 0, MaxLoans: 0, HoldsAllowed: false},
		{BranchID: "*", Category: "CHILD", ItemType: "*", LoanDays: 14, Renewals: 1, MaxLoans: 5, FineCents: 10, MaxFineCents: 200, HoldsAllowed: true},
	} {
		do(svc.SetRule(ctx, r))
	}
}
