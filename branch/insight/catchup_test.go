package insight_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/insight"
	"stacks/replicate/replicatetest"
)

// circulate lends, returns and renews three titles' copies to three
// patrons on several channels, places a hold that is trapped, and
// registers a patron, on svc: work for insight's counters and for the
// recommendations' co-borrowing counts.
func circulate(t *testing.T, svc *branch.Service, clock *replicatetest.Clock) {
	t.Helper()
	ctx := context.Background()
	admin := branchtest.Admin(ctx)
	branchtest.SeedPolicy(t, admin, svc)
	var items [][]string
	var bibs []string
	for i := range 3 {
		b, err := svc.AddBiblio(admin, domain.NewBiblio{Title: fmt.Sprint("Title ", i), Format: "book"})
		if err != nil {
			t.Fatal(err)
		}
		bibs = append(bibs, b.BiblioID)
		var its []string
		for j := range 3 {
			it, err := svc.AddItem(admin, domain.NewItem{Barcode: fmt.Sprintf("B%d-%d", i, j), BiblioID: b.BiblioID, HomeBranch: "MAIN", ItemType: "BOOK"})
			if err != nil {
				t.Fatal(err)
			}
			its = append(its, it.ItemID)
		}
		items = append(items, its)
	}
	var patrons []string
	for _, name := range []string{"Aalto", "Virtanen", "Korhonen"} {
		p, err := svc.RegisterPatron(admin, domain.NewPatron{Surname: name, Category: "ADULT", PIN: "1234"})
		if err != nil {
			t.Fatal(err)
		}
		patrons = append(patrons, p.PatronID)
	}
	chans := []domain.Channel{domain.ChannelDesk, domain.ChannelKiosk, domain.ChannelApp}
	for pi, p := range patrons {
		for bi := range 2 {
			act := domain.WithActor(ctx, domain.Actor{ID: "a", Role: domain.RoleCirculation, Channel: chans[(pi+bi)%len(chans)]})
			if _, err := svc.Checkout(act, domain.CheckoutRequest{PatronID: p, ItemID: items[(pi+bi)%3][pi]}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
		}
	}
	desk := domain.WithActor(ctx, domain.Actor{ID: "desk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	if _, err := svc.Renew(desk, domain.RenewRequest{ItemID: items[0][0]}); err != nil {
		t.Fatal(err)
	}
	app := domain.WithActor(ctx, domain.Actor{ID: "app", Role: domain.RoleAdmin, Channel: domain.ChannelApp})
	if _, err := svc.PlaceHold(app, domain.HoldRequest{PatronID: patrons[1], BiblioID: bibs[0], PickupBranch: "MAIN"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(26 * time.Hour)
	if _, err := svc.Checkin(desk, domain.CheckinRequest{ItemID: items[0][0]}); err != nil {
		t.Fatal(err)
	}
}

// derived reads insight's report and the recommendations' counts.
func derived(t *testing.T, svc *branch.Service) (*insight.Report, [][3]any) {
	t.Helper()
	ctx := context.Background()
	day := branchtest.Monday.Format(domain.DateLayout)
	rep, err := insight.Build(ctx, svc.Read(), insight.Filter{From: day, To: "2026-11-30"})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := svc.Read().QueryContext(ctx, `SELECT a, b, patrons FROM recommend_pairs UNION ALL
		SELECT biblio_id, '', patrons FROM recommend_titles ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var recs [][3]any
	for rows.Next() {
		var a, b string
		var n int
		if err := rows.Scan(&a, &b, &n); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, [3]any{a, b, n})
	}
	return rep, recs
}

func pending(t *testing.T, svc *branch.Service) (ops, items int) {
	t.Helper()
	if err := svc.Read().QueryRow(`SELECT (SELECT count(*) FROM insight_pending), (SELECT count(*) FROM recommend_dirty)`).
		Scan(&ops, &items); err != nil {
		t.Fatal(err)
	}
	return ops, items
}

// TestCatchUpSurvivesCrash: a node that defers derived state stops (as if
// killed) after its commands committed and before any catch-up pass ran;
// reopened, its pass derives the same counters and recommendations as a
// node that derived them inline from the same ops.
func TestCatchUpSurvivesCrash(t *testing.T) {
	ctx := context.Background()
	clock := replicatetest.NewClock(branchtest.Monday)
	dir := t.TempDir()
	opts := branchtest.Options{Node: 1, Dir: dir, Clock: clock, Deferred: true, NoCatchUpLoop: true}
	node := branchtest.Open(t, opts)
	circulate(t, node.Service, clock)
	inline := branchtest.Open(t, branchtest.Options{Node: 2, Clock: clock})
	branchtest.Exchange(t, node.Service, inline.Service)
	want, wantRecs := derived(t, inline.Service)
	if want.Total.Loans != 6 || want.Total.Returns != 1 || want.Total.Renewals != 1 || want.Holds.Placed != 1 || len(wantRecs) == 0 {
		t.Fatalf("the inline node counted %+v, holds %+v, recommendations %v: the workload tests nothing", want.Total, want.Holds, wantRecs)
	}
	if ops, items := pending(t, node.Service); ops == 0 || items == 0 {
		t.Fatalf("%d ops and %d copies noted: the deferring node derived inline", ops, items)
	}
	before, _ := derived(t, node.Service)
	if before.Total.Loans != 0 {
		t.Fatalf("%d loans counted before any catch-up pass ran", before.Total.Loans)
	}
	node.Close()

	opts.NoCatchUpLoop = false // the loop's first pass derives what the crash left
	again := branchtest.Open(t, opts)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ops, items := pending(t, again.Service)
		if ops == 0 && items == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d ops and %d copies still noted after 10 s", ops, items)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
	got, gotRecs := derived(t, again.Service)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("caught up after the restart:\n%+v\ninline:\n%+v", got, want)
	}
	if !reflect.DeepEqual(gotRecs, wantRecs) {
		t.Errorf("recommendations caught up after the restart %v, inline %v", gotRecs, wantRecs)
	}
	// A second pass finds nothing and changes nothing.
	if err := again.Service.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got2, recs2 := derived(t, again.Service); !reflect.DeepEqual(got2, want) || !reflect.DeepEqual(recs2, wantRecs) {
		t.Errorf("a second pass changed the figures")
	}
}

// TestCatchUpFreshRead: right after a checkout on a node that defers
// derived state, a read that catches up first (as the insights API does)
// counts it; the loop counts it by itself too.
func TestCatchUpFreshRead(t *testing.T) {
	ctx := context.Background()
	clock := replicatetest.NewClock(branchtest.Monday)
	for _, loop := range []bool{false, true} {
		env := branchtest.Open(t, branchtest.Options{Clock: clock, Deferred: true, NoCatchUpLoop: !loop})
		svc := env.Service
		l := seedOne(t, svc)
		desk := domain.WithActor(ctx, domain.Actor{ID: "desk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
		if _, err := svc.Checkout(desk, domain.CheckoutRequest{PatronID: l.patron, ItemID: l.item}); err != nil {
			t.Fatal(err)
		}
		day := branchtest.Monday.Format(domain.DateLayout)
		loans := func() int {
			cs, err := insight.Counts(ctx, svc.Read(), insight.Filter{From: day, To: day})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range cs {
				if c.Metric == insight.MetricLoans {
					n += c.N
				}
			}
			return n
		}
		if !loop {
			if n := loans(); n != 0 {
				t.Fatalf("%d loans counted with no catch-up pass run", n)
			}
			if err := svc.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if n := loans(); n != 1 {
				t.Fatalf("after CatchUp %d loans counted, want 1", n)
			}
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for loans() != 1 {
			if time.Now().After(deadline) {
				t.Fatal("the catch-up loop did not count the loan within 10 s")
			}
			time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
		}
	}
}

type one struct{ patron, item string }

func seedOne(t *testing.T, svc *branch.Service) one {
	t.Helper()
	admin := branchtest.Admin(context.Background())
	branchtest.SeedPolicy(t, admin, svc)
	b, err := svc.AddBiblio(admin, domain.NewBiblio{Title: "One", Format: "book"})
	if err != nil {
		t.Fatal(err)
	}
	it, err := svc.AddItem(admin, domain.NewItem{Barcode: "C1", BiblioID: b.BiblioID, HomeBranch: "MAIN", ItemType: "BOOK"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.RegisterPatron(admin, domain.NewPatron{Surname: "Aalto", Category: "ADULT", PIN: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	return one{p.PatronID, it.ItemID}
}
