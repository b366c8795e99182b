package insight_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/insight"
	"stacks/branch/privacy"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// lending is a library of one title with two copies and two patrons.
type lending struct {
	env             *branchtest.Env
	items           []string
	biblio          string
	patronA, patron string
}

func openLending(t *testing.T, clock *replicatetest.Clock) *lending {
	t.Helper()
	ctx := context.Background()
	admin := branchtest.Admin(ctx)
	o := branchtest.Options{}
	if clock != nil {
		o.Clock = clock
	}
	l := &lending{env: branchtest.Open(t, o)}
	svc := l.env.Service
	branchtest.SeedPolicy(t, admin, svc)
	b, err := svc.AddBiblio(admin, domain.NewBiblio{Title: "One", Format: "book"})
	if err != nil {
		t.Fatal(err)
	}
	l.biblio = b.BiblioID
	for _, bc := range []string{"C1", "C2"} {
		it, err := svc.AddItem(admin, domain.NewItem{Barcode: bc, BiblioID: b.BiblioID, HomeBranch: "MAIN", ItemType: "BOOK"})
		if err != nil {
			t.Fatal(err)
		}
		l.items = append(l.items, it.ItemID)
	}
	for i, name := range []string{"Aalto", "Virtanen"} {
		p, err := svc.RegisterPatron(admin, domain.NewPatron{Surname: name, Category: "ADULT", PIN: "1234", Email: name + "@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			l.patronA = p.PatronID
		} else {
			l.patron = p.PatronID
		}
	}
	return l
}

// TestErasureRemovesChannels: what insight keeps about a patron (the
// channels they used each day and month) is in their export and gone
// after their erasure, while the counts stay.
func TestErasureRemovesChannels(t *testing.T) {
	ctx := context.Background()
	l := openLending(t, nil)
	svc := l.env.Service
	desk := domain.WithActor(ctx, domain.Actor{ID: "desk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	web := domain.WithActor(ctx, domain.Actor{ID: "web", Role: domain.RoleAdmin, Channel: domain.ChannelWeb})
	res, err := svc.Checkout(desk, domain.CheckoutRequest{PatronID: l.patron, ItemID: l.items[0]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Renew(web, domain.RenewRequest{LoanID: res.Loan.LoanID}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Checkin(desk, domain.CheckinRequest{ItemID: l.items[0]}); err != nil {
		t.Fatal(err)
	}
	pv := privacy.New(svc)
	exp, err := pv.Export(ctx, l.patron)
	if err != nil {
		t.Fatal(err)
	}
	day := branchtest.Monday.Format(domain.DateLayout)
	want := []map[string]any{{"day": day, "channels": []string{"desk", "web"}}, {"month": day[:7], "channels": []string{"desk", "web"}}}
	if got := exp["insight"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("export's insight part: %#v, want %#v", got, want)
	}
	f := insight.Filter{From: day, To: day}
	before, err := insight.Build(ctx, svc.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.MultichannelDays) != 1 || before.MultichannelDays[0].N != 1 {
		t.Fatalf("multichannel days %v, want one patron", before.MultichannelDays)
	}
	if len(insightCellsNaming(t, svc, l.patron)) == 0 {
		t.Fatal("before the erasure no insight table names the patron: the check proves nothing")
	}
	if err := pv.Erase(branchtest.Admin(ctx), l.patron, "asked"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM insight_active WHERE patron_id=?`, l.patron).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d rows of insight_active name the erased patron", n)
	}
	if found := insightCellsNaming(t, svc, l.patron); len(found) > 0 {
		t.Fatalf("after the erasure, insight's tables name the patron: %v", found)
	}
	after, err := insight.Build(ctx, svc.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("the report changed with the erasure:\n%+v\n%+v", after, before)
	}
	// A rebuild from the op log does not bring them back.
	if _, err := insight.Rebuild(ctx, svc, time.UTC); err != nil {
		t.Fatal(err)
	}
	if found := insightCellsNaming(t, svc, l.patron); len(found) > 0 {
		t.Fatalf("rebuilt, insight's tables name the patron: %v", found)
	}
	if err := svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM insight_active WHERE patron_id=?`, l.patron).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("rebuilt, %d rows of insight_active name the erased patron", n)
	}
}

// insightCellsNaming lists the cells of every insight table (every column
// of every row) that hold s: after an erasure, no metric leads to the
// patron.
func insightCellsNaming(t *testing.T, svc *branch.Service, s string) []string {
	t.Helper()
	ctx := context.Background()
	tables := []string{}
	rows, err := svc.Read().QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'insight%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("insight tables %v: too few, the check proves nothing", tables)
	}
	var found []string
	for _, tbl := range tables {
		rows, err := svc.Read().QueryContext(ctx, `SELECT * FROM `+tbl)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var text string
				switch x := v.(type) {
				case string:
					text = x
				case []byte:
					text = string(x)
				}
				if text != "" && strings.Contains(text, s) {
					found = append(found, tbl+"."+cols[i]+"="+text)
				}
			}
		}
		rows.Close()
	}
	return found
}

// TestHoldCountsOrderIndependent: a hold's status reaching a node before
// the hold itself (from another origin) is counted when the hold comes,
// to the same counters as on the node that saw them in order.
func TestHoldCountsOrderIndependent(t *testing.T) {
	ctx := context.Background()
	clock := replicatetest.NewClock(branchtest.Monday)
	l := openLending(t, clock)
	svc := l.env.Service
	desk := domain.WithActor(ctx, domain.Actor{ID: "desk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	for _, it := range l.items {
		if _, err := svc.Checkout(desk, domain.CheckoutRequest{PatronID: l.patronA, ItemID: it}); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	h, err := svc.PlaceHold(domain.WithActor(ctx, domain.Actor{ID: "app", Role: domain.RoleAdmin, Channel: domain.ChannelApp}),
		domain.HoldRequest{PatronID: l.patron, BiblioID: l.biblio, PickupBranch: "MAIN"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(50 * time.Hour)
	if _, err := svc.Checkin(desk, domain.CheckinRequest{ItemID: l.items[1]}); err != nil {
		t.Fatal(err)
	}
	ops, err := svc.Log().Ops(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A second node gets the ops in reverse, each alone: the hold's status
	// first, its placing after.
	other := branchtest.Open(t, branchtest.Options{Node: 2, Clock: clock})
	for i := len(ops) - 1; i >= 0; i-- {
		if _, err := other.Service.Log().Integrate(ctx, ops[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	day := branchtest.Monday.Format(domain.DateLayout)
	f := insight.Filter{From: day, To: "2026-11-30"}
	want, err := insight.Build(ctx, svc.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := insight.Build(ctx, other.Service.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if want.Holds.Placed != 1 || want.Holds.Ready != 1 || want.Holds.DaysToFillP50 == nil || *want.Holds.DaysToFillP50 != 2 {
		t.Fatalf("holds %+v, want one placed, ready after 2 days (hold %s)", want.Holds, h.HoldID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("in reverse order:\n%+v\nin order:\n%+v", got, want)
	}
}

// TestErasureWinsOverLateOps: a patron erased on one node while another,
// cut off, lent to them on two more channels: after the nodes sync, no
// node keeps their channels, and both count them once among the patrons
// active on two or more channels that day (not twice on the node that
// erased them first).
func TestErasureWinsOverLateOps(t *testing.T) {
	ctx := context.Background()
	clock := replicatetest.NewClock(branchtest.Monday)
	a := openLending(t, clock)
	b := branchtest.Open(t, branchtest.Options{Node: 2, Clock: clock})
	branchtest.Exchange(t, a.env.Service, b.Service)
	as := func(ch domain.Channel) context.Context {
		return domain.WithActor(ctx, domain.Actor{ID: "x", Role: domain.RoleAdmin, Channel: ch})
	}
	res, err := a.env.Service.Checkout(as(domain.ChannelDesk), domain.CheckoutRequest{PatronID: a.patron, ItemID: a.items[0]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.env.Service.Renew(as(domain.ChannelWeb), domain.RenewRequest{LoanID: res.Loan.LoanID}); err != nil {
		t.Fatal(err)
	}
	branchtest.Exchange(t, a.env.Service, b.Service)
	// Cut off, b lends the other copy at a kiosk and renews it in the app.
	late, err := b.Service.Checkout(as(domain.ChannelKiosk), domain.CheckoutRequest{PatronID: a.patron, ItemID: a.items[1]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.Renew(as(domain.ChannelApp), domain.RenewRequest{LoanID: late.Loan.LoanID}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.env.Service.Checkin(as(domain.ChannelDesk), domain.CheckinRequest{ItemID: a.items[0]}); err != nil {
		t.Fatal(err)
	}
	if err := privacy.New(a.env.Service).Erase(branchtest.Admin(ctx), a.patron, "asked"); err != nil {
		t.Fatal(err)
	}
	branchtest.Exchange(t, b.Service, a.env.Service)
	branchtest.Exchange(t, a.env.Service, b.Service)
	day := branchtest.Monday.Format(domain.DateLayout)
	for name, svc := range map[string]*branch.Service{"erasing node": a.env.Service, "cut-off node": b.Service} {
		var n int
		if err := svc.Read().QueryRowContext(ctx, `SELECT count(*) FROM insight_active WHERE patron_id=?`, a.patron).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d rows of insight_active name the erased patron", name, n)
		}
		rep, err := insight.Build(ctx, svc.Read(), insight.Filter{From: day, To: day})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.MultichannelDays) != 1 || rep.MultichannelDays[0].N != 1 {
			t.Errorf("%s: multichannel %v, want the patron once", name, rep.MultichannelDays)
		}
		if rep.Total.Loans != 2 || rep.Total.Renewals != 2 {
			t.Errorf("%s: totals %+v, want 2 loans and 2 renewals", name, rep.Total)
		}
	}
}

// heldFromState is the items held per branch and format counted from the
// state itself, as insight_held must always have them.
func heldFromState(t *testing.T, svc *branch.Service) map[[2]string]int {
	t.Helper()
	out := map[[2]string]int{}
	rows, err := svc.Read().Query(`SELECT i.home_branch, coalesce(b.format, ''), count(*) FROM items i LEFT JOIN biblios b ON b.biblio_id=i.biblio_id
		WHERE i.base_status NOT IN ('withdrawn', 'lost') GROUP BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k [2]string
		var n int
		if err := rows.Scan(&k[0], &k[1], &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

func heldCounted(t *testing.T, svc *branch.Service) map[[2]string]int {
	t.Helper()
	out := map[[2]string]int{}
	rows, err := svc.Read().Query(`SELECT branch_id, format, n FROM insight_held WHERE n<>0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k [2]string
		var n int
		if err := rows.Scan(&k[0], &k[1], &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	return out
}

// TestTurnoverOrderIndependent: loans count under the format and owning
// branch their item had when lent, and the items held follow the state,
// on a node that gets every op in reverse order (the copies before their
// title, the loan before its copy) as on the node that made them. A
// checkout op from before the format was stamped counts under the item as
// the replica knows it.
func TestTurnoverOrderIndependent(t *testing.T) {
	ctx := context.Background()
	clock := replicatetest.NewClock(branchtest.Monday)
	l := openLending(t, clock)
	svc := l.env.Service
	admin := branchtest.Admin(ctx)
	desk := domain.WithActor(ctx, domain.Actor{ID: "desk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	dvd, err := svc.AddBiblio(admin, domain.NewBiblio{Title: "Film", Format: "dvd"})
	if err != nil {
		t.Fatal(err)
	}
	var films []string
	for _, bc := range []string{"D1", "D2", "D3"} {
		it, err := svc.AddItem(admin, domain.NewItem{Barcode: bc, BiblioID: dvd.BiblioID, HomeBranch: "MAIN", ItemType: "BOOK"})
		if err != nil {
			t.Fatal(err)
		}
		films = append(films, it.ItemID)
	}
	// Two loans of a DVD and one of a book, then the DVD's title becomes
	// a Blu-ray, a copy moves to EAST and another is withdrawn.
	for _, it := range []string{films[0], films[1], l.items[0]} {
		if _, err := svc.Checkout(desk, domain.CheckoutRequest{PatronID: l.patron, ItemID: it}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.UpdateBiblio(admin, dvd.BiblioID, domain.NewBiblio{Title: "Film", Format: "bluray"}); err != nil {
		t.Fatal(err)
	}
	east, withdrawn := "EAST", domain.ItemWithdrawn
	if _, err := svc.UpdateItem(admin, films[0], domain.ItemUpdate{HomeBranch: &east}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateItem(admin, films[2], domain.ItemUpdate{BaseStatus: &withdrawn}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Checkout(desk, domain.CheckoutRequest{PatronID: l.patronA, ItemID: films[2]}); err == nil {
		t.Fatal("a withdrawn copy was lent")
	}
	ops, err := svc.Log().Ops(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	other := branchtest.Open(t, branchtest.Options{Node: 2, Clock: clock})
	for i := len(ops) - 1; i >= 0; i-- {
		if _, err := other.Service.Log().Integrate(ctx, ops[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	day := branchtest.Monday.Format(domain.DateLayout)
	f := insight.Filter{From: day, To: day}
	want := []insight.Turnover{
		{Format: "bluray", Held: 2, Rate: ptr(0.0)},
		{Format: "book", Loans: 1, Held: 2, Rate: ptr(0.5)},
		{Format: "dvd", Loans: 2},
	}
	wantBranches := []insight.Turnover{
		{LibraryID: "EAST", Format: "bluray", Held: 1, Rate: ptr(0.0)},
		{LibraryID: "MAIN", Format: "bluray", Held: 1, Rate: ptr(0.0)},
		{LibraryID: "MAIN", Format: "book", Loans: 1, Held: 2, Rate: ptr(0.5)},
		{LibraryID: "MAIN", Format: "dvd", Loans: 2},
	}
	for name, s := range map[string]*branch.Service{"in order": svc, "in reverse": other.Service} {
		rep, err := insight.Build(ctx, s.Read(), f)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep.Turnover, want) || !reflect.DeepEqual(rep.TurnoverBranches, wantBranches) {
			t.Errorf("%s: turnover %s per branch %s", name, showTurnover(rep.Turnover), showTurnover(rep.TurnoverBranches))
		}
		if got, state := heldCounted(t, s), heldFromState(t, s); !reflect.DeepEqual(got, state) {
			t.Errorf("%s: items held %v, the state has %v", name, got, state)
		}
	}

	// A checkout op written before the format and owner were stamped:
	// counted as the replica knows the item.
	third := branchtest.Open(t, branchtest.Options{Node: 3, Clock: clock})
	for _, op := range ops {
		if op.Kind == branch.KindCheckout {
			var p map[string]any
			if err := json.Unmarshal(op.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p["format"] == nil || p["owner"] == nil {
				t.Fatalf("a checkout op without its format or owner: %s", op.Payload)
			}
			delete(p, "format")
			delete(p, "owner")
			op.Payload, _ = json.Marshal(p)
		}
		if _, err := third.Service.Log().Integrate(ctx, []replicate.Op{op}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := insight.Build(ctx, third.Service.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rep.Turnover, want) {
		t.Errorf("unstamped, in order: %s", showTurnover(rep.Turnover))
	}
}

func ptr[T any](v T) *T { return &v }

// activeRows are the periods of insight_active rows.
func activeRows(t *testing.T, svc *branch.Service) []string {
	t.Helper()
	rows, err := svc.Read().Query(`SELECT period FROM insight_active ORDER BY period, patron_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestActiveRowsPruned: the rows naming patrons (their channels per day
// and month) go once their period is ActiveGraceDays behind: the day's
// first, the month's after the month; the figures stay. An op for a pruned
// period that arrives later (from a branch cut off since) counts as a loan
// but puts no row back, nor changes the period's figure, and a rebuild
// from the op log keeps them pruned.
func TestActiveRowsPruned(t *testing.T) {
	ctx := context.Background()
	clock := replicatetest.NewClock(branchtest.Monday) // 2026-11-23
	a := openLending(t, clock)
	b := branchtest.Open(t, branchtest.Options{Node: 2, Clock: clock})
	branchtest.Exchange(t, a.env.Service, b.Service)
	svc := a.env.Service
	as := func(ch domain.Channel) context.Context {
		return domain.WithActor(ctx, domain.Actor{ID: "x", Role: domain.RoleAdmin, Channel: ch})
	}
	res, err := svc.Checkout(as(domain.ChannelDesk), domain.CheckoutRequest{PatronID: a.patron, ItemID: a.items[0]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Renew(as(domain.ChannelWeb), domain.RenewRequest{LoanID: res.Loan.LoanID}); err != nil {
		t.Fatal(err)
	}
	// b, cut off from here on, lends the other copy to the other patron
	// at a kiosk, renewed in the app: two channels, the same day.
	late, err := b.Service.Checkout(as(domain.ChannelKiosk), domain.CheckoutRequest{PatronID: a.patronA, ItemID: a.items[1]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Service.Renew(as(domain.ChannelApp), domain.RenewRequest{LoanID: late.Loan.LoanID}); err != nil {
		t.Fatal(err)
	}
	f := insight.Filter{From: "2026-11-01", To: "2026-11-30"}
	before, err := insight.Build(ctx, svc.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if want := []insight.PeriodCount{{Period: "2026-11-23", N: 1}}; !reflect.DeepEqual(before.MultichannelDays, want) {
		t.Fatalf("multichannel days %v, want %v", before.MultichannelDays, want)
	}
	prune := func(at time.Time) {
		t.Helper()
		if _, err := insight.PruneActive(ctx, svc, time.UTC, at); err != nil {
			t.Fatal(err)
		}
	}
	prune(branchtest.Monday.AddDate(0, 0, insight.ActiveGraceDays))
	if got := activeRows(t, svc); !reflect.DeepEqual(got, []string{"D2026-11-23", "M2026-11"}) {
		t.Fatalf("%d days on: rows %v, want the day's and the month's", insight.ActiveGraceDays, got)
	}
	prune(branchtest.Monday.AddDate(0, 0, insight.ActiveGraceDays+1))
	if got := activeRows(t, svc); !reflect.DeepEqual(got, []string{"M2026-11"}) {
		t.Fatalf("%d days on: rows %v, want the month's", insight.ActiveGraceDays+1, got)
	}
	prune(time.Date(2026, 12, 1+insight.ActiveGraceDays, 12, 0, 0, 0, time.UTC))
	if got := activeRows(t, svc); len(got) != 0 {
		t.Fatalf("%d days after the month: rows %v", insight.ActiveGraceDays, got)
	}
	prune(branchtest.Monday) // a clock gone back prunes no less
	after, err := insight.Build(ctx, svc.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, before) {
		t.Errorf("pruning changed the report:\n%+v\n%+v", after, before)
	}

	branchtest.Exchange(t, b.Service, svc)
	if got := activeRows(t, svc); len(got) != 0 {
		t.Fatalf("the late ops put rows back: %v", got)
	}
	late2, err := insight.Build(ctx, svc.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if late2.Total.Loans != 2 || late2.Total.Renewals != 2 || !reflect.DeepEqual(late2.MultichannelDays, before.MultichannelDays) ||
		!reflect.DeepEqual(late2.MultichannelMonths, before.MultichannelMonths) {
		t.Errorf("after the late ops: totals %+v, multichannel %v %v", late2.Total, late2.MultichannelDays, late2.MultichannelMonths)
	}
	if _, err := insight.Rebuild(ctx, svc, time.UTC); err != nil {
		t.Fatal(err)
	}
	if got := activeRows(t, svc); len(got) != 0 {
		t.Fatalf("rebuilt: rows %v", got)
	}
}

// TestOpenWantsHeldTriggers: a database whose items-held triggers are gone
// (a migration rebuilt items without them) is refused at Open, not
// counted wrong from then on.
func TestOpenWantsHeldTriggers(t *testing.T) {
	ctx := context.Background()
	l := openLending(t, nil)
	svc := l.env.Service
	if err := insight.Open(ctx, svc, time.UTC, nil); err != nil {
		t.Fatal(err)
	}
	if err := svc.Update(replicate.Direct(ctx), func(tx *branch.Txn) error {
		_, err := tx.ExecContext(ctx, `DROP TRIGGER insight_held_item_update`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := insight.Open(ctx, svc, time.UTC, nil); err == nil || !strings.Contains(err.Error(), "5 of the 6 triggers") {
		t.Fatalf("Open without a trigger: %v", err)
	}
}
