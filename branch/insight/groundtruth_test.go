package insight_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/branchtest"
	"stacks/branch/domain"
	"stacks/branch/handoff"
	"stacks/branch/insight"
	"stacks/replicate/replicatetest"
)

// helsinki is the library's zone in these tests: days and hours are
// counted in it, not in UTC, so a day's edge is tested too.
func helsinki(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	return loc
}

// capsIn are the test capabilities with insight counting in loc.
func capsIn(loc *time.Location) []branch.Capability {
	caps := branchtest.Capabilities()
	for i, c := range caps {
		if c.Name == "insight" {
			caps[i] = insight.Capability(loc)
		}
	}
	return caps
}

// actor acts through a channel.
func actor(ctx context.Context, ch domain.Channel) context.Context {
	role := domain.RoleCirculation
	switch ch {
	case domain.ChannelKiosk:
		role = domain.RoleKiosk
	case domain.ChannelWeb, domain.ChannelApp:
		role = domain.RoleAdmin // the patron's own request, as the API makes it
	}
	return domain.WithActor(ctx, domain.Actor{ID: "sim-" + string(ch), Role: role, Channel: ch})
}

// truth is what the workload did, counted by the test as it happened.
type truth struct {
	loc    *time.Location
	counts map[insight.Count]int // N zero: the key
	placed map[string]time.Time
	fill   []int // days to fill of the holds ready
	active map[string]map[string]map[string]bool
	// turnover: loans per owning branch and format, as the item was
	// when lent.
	turnover map[[2]string]int
}

// coll is an item as collection turnover sees it: its title's format,
// its home branch, whether it is still held.
type coll struct {
	format, owner string
	gone          bool // withdrawn or lost
}

func (g *truth) add(at time.Time, branchID string, ch domain.Channel, metric string) {
	at = at.In(g.loc)
	g.counts[insight.Count{Date: at.Format(domain.DateLayout), Hour: at.Hour(), LibraryID: branchID, Channel: string(ch), Metric: metric}]++
}

func (g *truth) touch(at time.Time, patron string, ch domain.Channel) {
	at = at.In(g.loc)
	for _, p := range []string{"D" + at.Format(domain.DateLayout), "M" + at.Format("2006-01")} {
		if g.active[p] == nil {
			g.active[p] = map[string]map[string]bool{}
		}
		if g.active[p][patron] == nil {
			g.active[p][patron] = map[string]bool{}
		}
		g.active[p][patron][string(ch)] = true
	}
}

type node struct {
	env    *branchtest.Env
	coll   map[string]*coll // item ID -> what turnover counts it under
	codes  *handoff.Service
	branch string
	items  []string // its branch's copies
	titles []string
	loans  map[string]string // loan ID -> item ID, open loans made here
	ready  []readyHold
}

type readyHold struct{ hold, patron, item string }

// TestGroundTruthMonth drives two branches (MAIN and EAST, one node each,
// syncing every evening) through a month of random but seeded work on
// every channel, counting each event as the test makes it; then every
// counter, and every figure of the report, must equal the test's own
// count, on both nodes.
func TestGroundTruthMonth(t *testing.T) { groundTruthMonth(t, false) }

// TestGroundTruthMonthDeferred is TestGroundTruthMonth with the counters
// derived as a node derives them: in catch-up passes after each commit
// (branch.Deferral), run by each node's loop while the month goes on, and
// once more before the figures are read (as a report does).
func TestGroundTruthMonthDeferred(t *testing.T) { groundTruthMonth(t, true) }

func groundTruthMonth(t *testing.T, deferred bool) {
	loc := helsinki(t)
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, loc)
	clock := replicatetest.NewClock(start)
	caps := capsIn(loc)
	items := map[string]*coll{}
	main := &node{env: branchtest.Open(t, branchtest.Options{Node: 1, Branch: "MAIN", Clock: clock, Capabilities: caps, Deferred: deferred}), branch: "MAIN",
		loans: map[string]string{}, coll: items}
	east := &node{env: branchtest.Open(t, branchtest.Options{Node: 2, Branch: "EAST", Clock: clock, Capabilities: caps, Deferred: deferred}), branch: "EAST",
		loans: map[string]string{}, coll: items}
	nodes := []*node{main, east}
	for _, n := range nodes {
		var err error
		if n.codes, err = handoff.New(n.env.Service, handoff.Config{Key: []byte("0123456789abcdef0123456789abcdef")}); err != nil {
			t.Fatal(err)
		}
	}
	admin := branchtest.Admin(ctx)
	branchtest.SeedPolicy(t, admin, main.env.Service)
	formats := []string{"book", "book", "dvd", "audiobook", "large_print", "book"}
	for i, n := range nodes {
		for j := range 12 {
			format := formats[(i+j)%len(formats)]
			b, err := main.env.Service.AddBiblio(admin, domain.NewBiblio{Title: fmt.Sprintf("Title %d-%d", i, j), Format: format})
			if err != nil {
				t.Fatal(err)
			}
			n.titles = append(n.titles, b.BiblioID)
			for k := range 2 {
				it, err := main.env.Service.AddItem(admin, domain.NewItem{Barcode: fmt.Sprintf("B%d%02d%d", i, j, k), BiblioID: b.BiblioID,
					HomeBranch: n.branch, ItemType: "BOOK"})
				if err != nil {
					t.Fatal(err)
				}
				n.items = append(n.items, it.ItemID)
				items[it.ItemID] = &coll{format: format, owner: n.branch}
			}
		}
	}
	sync := func() {
		branchtest.Exchange(t, main.env.Service, east.env.Service)
		branchtest.Exchange(t, east.env.Service, main.env.Service)
	}
	sync()

	g := &truth{loc: loc, counts: map[insight.Count]int{}, placed: map[string]time.Time{}, active: map[string]map[string]map[string]bool{},
		turnover: map[[2]string]int{}}
	lent := func(item string) {
		c := items[item]
		g.turnover[[2]string{c.owner, c.format}]++
	}
	var patrons []string // known to both nodes (registered before the last sync)
	var fresh []string
	rnd := rand.New(rand.NewPCG(19, 2026))
	pick := func(chs ...domain.Channel) domain.Channel { return chs[rnd.IntN(len(chs))] }
	done := map[string]int{}
	for day := range 30 {
		clock.Set(time.Date(2026, 11, 1+day, 8, 0, 0, 0, loc))
		if day == 10 || day == 20 {
			// The collection changes under the loans: on each node, a
			// title of its own changes format (its copies' later loans
			// count under the new one), and a copy neither on loan nor on
			// the hold shelf is withdrawn, another declared lost.
			for _, n := range nodes {
				svc := n.env.Service
				bib := n.titles[rnd.IntN(len(n.titles))]
				b, err := svc.Biblio(admin, bib)
				if err != nil {
					t.Fatal(err)
				}
				to := "music_cd"
				if b.Format == to {
					to = "score"
				}
				if _, err := svc.UpdateBiblio(admin, bib, domain.NewBiblio{Title: b.Title, Format: to}); err != nil {
					t.Fatal(err)
				}
				for _, c := range n.items {
					if b2, _ := svc.Item(admin, c); b2 != nil && b2.BiblioID == bib {
						items[c].format = to
					}
				}
				var idle []string
				for _, it := range n.items {
					if !items[it].gone && !slices.Contains(sortedValues(n.loans), it) &&
						!slices.ContainsFunc(n.ready, func(r readyHold) bool { return r.item == it }) {
						if cur, _ := svc.Item(admin, it); cur != nil && cur.Status == domain.ItemAvailable {
							idle = append(idle, it)
						}
					}
				}
				if len(idle) < 2 {
					t.Fatalf("%s: no idle copies to withdraw", n.branch)
				}
				w, l := idle[rnd.IntN(len(idle))], ""
				for l == "" || l == w {
					l = idle[rnd.IntN(len(idle))]
				}
				withdrawn := domain.ItemWithdrawn
				if _, err := svc.UpdateItem(admin, w, domain.ItemUpdate{BaseStatus: &withdrawn}); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.DeclareLost(admin, l); err != nil {
					t.Fatal(err)
				}
				items[w].gone, items[l].gone = true, true
				done["withdrawn"] += 2
			}
		}
		for clock.Now().In(loc).Hour() < 21 {
			clock.Advance(time.Duration(3+rnd.IntN(25)) * time.Minute)
			now := clock.Now()
			n := nodes[rnd.IntN(2)]
			svc := n.env.Service
			r := rnd.IntN(100)
			switch {
			case r < 6 || len(patrons) < 5: // registration
				ch := pick(domain.ChannelDesk, domain.ChannelWeb)
				p, err := svc.RegisterPatron(actor(ctx, ch), domain.NewPatron{Surname: fmt.Sprintf("Patron%d", len(patrons)+len(fresh)),
					Category: "ADULT", PIN: "1234", HomeBranch: n.branch})
				if err != nil {
					t.Fatal(err)
				}
				fresh = append(fresh, p.PatronID)
				g.add(now, n.branch, ch, insight.MetricRegistrations)
				done["register"]++
			case r < 10: // a handoff from the web or the app, finished (or not) at the desk or a kiosk
				ch := pick(domain.ChannelWeb, domain.ChannelApp)
				patron := patrons[rnd.IntN(len(patrons))]
				code, err := n.codes.Issue(actor(ctx, ch), patron, handoff.IntentKioskLogin)
				if err != nil {
					t.Fatal(err)
				}
				g.add(now, "", ch, insight.MetricHandoffsStarted)
				g.touch(now, patron, ch)
				done["handoff"]++
				if rnd.IntN(10) < 6 {
					clock.Advance(2 * time.Minute)
					ch := pick(domain.ChannelDesk, domain.ChannelKiosk)
					if _, err := n.codes.Redeem(actor(ctx, ch), code.Code); err != nil {
						t.Fatal(err)
					}
					g.add(clock.Now(), "", ch, insight.MetricHandoffsCompleted)
					done["handoff-used"]++
				}
			case r < 40: // checkout
				ch := pick(domain.ChannelDesk, domain.ChannelKiosk)
				patron := patrons[rnd.IntN(len(patrons))]
				item := n.items[rnd.IntN(len(n.items))]
				res, err := svc.Checkout(actor(ctx, ch), domain.CheckoutRequest{PatronID: patron, ItemID: item})
				if err != nil {
					continue // on loan, on hold for another, over a limit: nothing happened
				}
				n.loans[res.Loan.LoanID] = item
				lent(item)
				g.add(now, n.branch, ch, insight.MetricLoans)
				g.touch(now, patron, ch)
				done["checkout"]++
				if res.HoldFilled != "" { // the patron's own hold, waiting on the shelf
					g.add(now, n.branch, ch, insight.MetricHoldsFulfilled)
					n.ready = slices.DeleteFunc(n.ready, func(r readyHold) bool { return r.hold == res.HoldFilled })
				}
			case r < 43 && len(n.ready) > 0: // a ready hold collected
				ch := pick(domain.ChannelDesk, domain.ChannelKiosk)
				i := rnd.IntN(len(n.ready))
				h := n.ready[i]
				n.ready = slices.Delete(n.ready, i, i+1)
				res, err := svc.Checkout(actor(ctx, ch), domain.CheckoutRequest{PatronID: h.patron, ItemID: h.item})
				if err != nil {
					continue // expired from the shelf since
				}
				n.loans[res.Loan.LoanID] = h.item
				lent(h.item)
				g.add(now, n.branch, ch, insight.MetricLoans)
				g.touch(now, h.patron, ch)
				if res.HoldFilled != h.hold {
					t.Fatalf("collecting hold %s filled %q", h.hold, res.HoldFilled)
				}
				g.add(now, n.branch, ch, insight.MetricHoldsFulfilled)
				done["collect"]++
			case r < 75 && len(n.loans) > 0: // return
				ch := pick(domain.ChannelDesk, domain.ChannelKiosk)
				ids := sortedKeys(n.loans)
				loan := ids[rnd.IntN(len(ids))]
				res, err := svc.Checkin(actor(ctx, ch), domain.CheckinRequest{ItemID: n.loans[loan]})
				if err != nil {
					t.Fatal(err)
				}
				delete(n.loans, loan)
				g.add(now, n.branch, ch, insight.MetricReturns)
				done["checkin"]++
				if res.Action == domain.ActionHoldShelf && res.Hold != nil {
					g.add(now, n.branch, ch, insight.MetricHoldsReady)
					g.fill = append(g.fill, int(now.Sub(g.placed[res.Hold.HoldID])/(24*time.Hour)))
					n.ready = append(n.ready, readyHold{res.Hold.HoldID, res.Hold.PatronID, res.Item.ItemID})
					done["trap"]++
				}
			case r < 88 && len(n.loans) > 0: // renewal
				ch := pick(domain.ChannelDesk, domain.ChannelKiosk, domain.ChannelWeb, domain.ChannelApp)
				ids := sortedKeys(n.loans)
				loan := ids[rnd.IntN(len(ids))]
				res, err := svc.Renew(actor(ctx, ch), domain.RenewRequest{LoanID: loan})
				if err != nil {
					continue // no renewals left, or on hold
				}
				g.add(now, n.branch, ch, insight.MetricRenewals)
				g.touch(now, res.Loan.PatronID, ch)
				done["renew"]++
			default: // a hold on a title of the node's branch, collected there
				ch := pick(domain.ChannelDesk, domain.ChannelWeb, domain.ChannelApp)
				patron := patrons[rnd.IntN(len(patrons))]
				h, err := svc.PlaceHold(actor(ctx, ch), domain.HoldRequest{PatronID: patron, BiblioID: n.titles[rnd.IntN(len(n.titles))],
					PickupBranch: n.branch})
				if err != nil {
					continue // a copy is on the shelf, or a duplicate
				}
				g.placed[h.HoldID] = now
				g.add(now, n.branch, ch, insight.MetricHoldsPlaced)
				g.touch(now, patron, ch)
				done["hold"]++
			}
		}
		// The evening: the shelf cleared of what was not collected.
		for _, n := range nodes {
			hs, err := n.env.Service.ExpireHolds(actor(ctx, domain.ChannelDesk))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				g.add(clock.Now(), n.branch, domain.ChannelDesk, insight.MetricHoldsShelfExpired)
				n.ready = slices.DeleteFunc(n.ready, func(r readyHold) bool { return r.hold == h.HoldID })
				done["shelf-expiry"]++
			}
		}
		sync()
		patrons, fresh = append(patrons, fresh...), nil
	}
	// At the end of the month two of MAIN's copies move to EAST: their
	// loans stay MAIN's, the items held now are EAST's.
	for _, it := range main.items[:2] {
		east := "EAST"
		if _, err := main.env.Service.UpdateItem(admin, it, domain.ItemUpdate{HomeBranch: &east}); err != nil {
			t.Fatal(err)
		}
		items[it].owner = east
	}
	sync()
	t.Logf("workload: %v", done)
	for _, k := range []string{"register", "checkout", "checkin", "renew", "hold", "trap", "collect", "shelf-expiry", "handoff", "handoff-used"} {
		if done[k] < 3 {
			t.Fatalf("the workload did too few %s (%d): it tests nothing", k, done[k])
		}
	}

	f := insight.Filter{From: "2026-10-31", To: "2026-12-01"}
	var first []insight.Count
	for _, n := range nodes {
		if err := n.env.Service.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := insight.Counts(ctx, n.env.Service.Read(), f)
		if err != nil {
			t.Fatal(err)
		}
		want := g.expected()
		if !reflect.DeepEqual(got, want) {
			diff(t, n.branch, got, want)
		}
		if first == nil {
			first = got
		} else if !reflect.DeepEqual(first, got) {
			t.Errorf("the nodes' counters differ")
		}
		rep, err := insight.Build(ctx, n.env.Service.Read(), f)
		if err != nil {
			t.Fatal(err)
		}
		g.checkReport(t, n.branch, rep)
		g.checkTurnover(t, n.branch, rep, items, "")
		east, err := insight.Build(ctx, n.env.Service.Read(), insight.Filter{From: f.From, To: f.To, LibraryID: "EAST"})
		if err != nil {
			t.Fatal(err)
		}
		g.checkTurnover(t, n.branch+" (EAST only)", east, items, "EAST")
		// The hour-of-day profile, of the month (whole months are read from
		// the monthly rollup) and of a part of it, for all and for one branch.
		for _, pf := range []insight.Filter{f, {From: "2026-11-05", To: "2026-11-20"}, {From: "2026-11-01", To: "2026-11-30", LibraryID: "EAST"}} {
			rep, err := insight.Build(ctx, n.env.Service.Read(), pf)
			if err != nil {
				t.Fatal(err)
			}
			g.checkHours(t, n.branch, pf, rep)
		}
	}
	// Recounted from the op log (in HLC order, not the order the ops
	// arrived in), the counters are the same.
	if _, err := insight.Rebuild(ctx, main.env.Service, loc); err != nil {
		t.Fatal(err)
	}
	again, err := insight.Counts(ctx, main.env.Service.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, first) {
		diff(t, "MAIN rebuilt", again, first)
	}
	// Rebuilt, loans still count under the format and owner the item had
	// when lent (as the checkout op names them), not the ones it has now.
	rep, err := insight.Build(ctx, main.env.Service.Read(), f)
	if err != nil {
		t.Fatal(err)
	}
	g.checkTurnover(t, "MAIN rebuilt", rep, items, "")
}

func sortedValues(m map[string]string) []string {
	vs := make([]string, 0, len(m))
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

// checkTurnover checks collection turnover against the test's count of
// the loans per owning branch and format, and of the items held at the
// end (of branch only, if not "").
func (g *truth) checkTurnover(t *testing.T, node string, r *insight.Report, items map[string]*coll, branch string) {
	t.Helper()
	type row struct{ loans, held int }
	per := map[[2]string]*row{}
	at := func(k [2]string) *row {
		if per[k] == nil {
			per[k] = &row{}
		}
		return per[k]
	}
	for k, n := range g.turnover {
		if branch == "" || k[0] == branch {
			at(k).loans += n
		}
	}
	for _, c := range items {
		if !c.gone && (branch == "" || c.owner == branch) {
			at([2]string{c.owner, c.format}).held++
		}
	}
	var wantBranches, wantFormats []insight.Turnover
	byFormat := map[string]*row{}
	for k, rw := range per {
		wantBranches = append(wantBranches, insight.Turnover{LibraryID: k[0], Format: k[1], Loans: rw.loans, Held: rw.held, Rate: rate(rw.loans, rw.held)})
		if byFormat[k[1]] == nil {
			byFormat[k[1]] = &row{}
		}
		byFormat[k[1]].loans += rw.loans
		byFormat[k[1]].held += rw.held
	}
	for f, rw := range byFormat {
		wantFormats = append(wantFormats, insight.Turnover{LibraryID: branch, Format: f, Loans: rw.loans, Held: rw.held, Rate: rate(rw.loans, rw.held)})
	}
	byKey := func(a, b insight.Turnover) int {
		return cmpStrings(a.LibraryID+"\x00"+a.Format, b.LibraryID+"\x00"+b.Format)
	}
	slices.SortFunc(wantBranches, byKey)
	slices.SortFunc(wantFormats, byKey)
	if len(wantFormats) < 5 {
		t.Fatalf("%s: turnover of %d formats: the workload tests too little", node, len(wantFormats))
	}
	if !reflect.DeepEqual(r.TurnoverBranches, wantBranches) {
		t.Errorf("%s: turnover per branch\n got %s\nwant %s", node, showTurnover(r.TurnoverBranches), showTurnover(wantBranches))
	}
	if !reflect.DeepEqual(r.Turnover, wantFormats) {
		t.Errorf("%s: turnover per format\n got %s\nwant %s", node, showTurnover(r.Turnover), showTurnover(wantFormats))
	}
}

func rate(loans, held int) *float64 {
	if held == 0 {
		return nil
	}
	r := math.Round(float64(loans)/float64(held)*10000) / 10000
	return &r
}

func showTurnover(ts []insight.Turnover) string {
	var b []string
	for _, t := range ts {
		r := "-"
		if t.Rate != nil {
			r = fmt.Sprint(*t.Rate)
		}
		b = append(b, fmt.Sprintf("%s/%s %d/%d=%s", t.LibraryID, t.Format, t.Loans, t.Held, r))
	}
	return fmt.Sprint(b)
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// expected is the counters as the test counted them, in Counts' order.
func (g *truth) expected() []insight.Count {
	out := []insight.Count{}
	for k, n := range g.counts {
		k.N = n
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b insight.Count) int {
		return cmpStrings(fmt.Sprintf("%s %02d %s %s %s", a.Date, a.Hour, a.LibraryID, a.Channel, a.Metric),
			fmt.Sprintf("%s %02d %s %s %s", b.Date, b.Hour, b.LibraryID, b.Channel, b.Metric))
	})
	return out
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func diff(t *testing.T, node string, got, want []insight.Count) {
	t.Helper()
	key := func(c insight.Count) insight.Count { c.N = 0; return c }
	g, w := map[insight.Count]int{}, map[insight.Count]int{}
	for _, c := range got {
		g[key(c)] = c.N
	}
	for _, c := range want {
		w[key(c)] = c.N
	}
	shown := 0
	for k, n := range w {
		if g[k] != n && shown < 10 {
			t.Errorf("%s: %+v: counted %d, want %d", node, k, g[k], n)
			shown++
		}
	}
	for k, n := range g {
		if _, ok := w[k]; !ok && shown < 10 {
			t.Errorf("%s: %+v: counted %d, want none", node, k, n)
			shown++
		}
	}
	t.Fatalf("%s: %d counters, want %d", node, len(got), len(want))
}

// checkReport checks the report's derived figures against the test's.
func (g *truth) checkReport(t *testing.T, node string, r *insight.Report) {
	t.Helper()
	var loans, returns, renewals, regs, self, desk, placed, ready, fulfilled, shelf, started, completed int
	for k, n := range g.counts {
		switch k.Metric {
		case insight.MetricLoans:
			loans += n
		case insight.MetricReturns:
			returns += n
		case insight.MetricRenewals:
			renewals += n
		case insight.MetricRegistrations:
			regs += n
		case insight.MetricHoldsPlaced:
			placed += n
		case insight.MetricHoldsReady:
			ready += n
		case insight.MetricHoldsFulfilled:
			fulfilled += n
		case insight.MetricHoldsShelfExpired:
			shelf += n
		case insight.MetricHandoffsStarted:
			started += n
		case insight.MetricHandoffsCompleted:
			completed += n
		}
		if k.Metric == insight.MetricLoans || k.Metric == insight.MetricReturns || k.Metric == insight.MetricRenewals {
			if k.Channel == "desk" {
				desk += n
			} else {
				self += n
			}
		}
	}
	tot := r.Total
	if tot.Loans != loans || tot.Returns != returns || tot.Renewals != renewals || tot.Registrations != regs || tot.SelfServed != self || tot.Desk != desk {
		t.Errorf("%s: totals %+v, want loans %d returns %d renewals %d registrations %d self %d desk %d", node, tot, loans, returns, renewals,
			regs, self, desk)
	}
	if want := math.Round(float64(self)/float64(self+desk)*10000) / 10000; tot.SelfServedShare == nil || *tot.SelfServedShare != want {
		t.Errorf("%s: self-served share %v, want %v", node, tot.SelfServedShare, want)
	}
	if tot.HandoffsStarted != started || tot.HandoffsCompleted != completed || r.HandoffDropOff == nil ||
		*r.HandoffDropOff != math.Round(float64(started-completed)/float64(started)*10000)/10000 {
		t.Errorf("%s: handoffs %d %d drop-off %v, want %d %d", node, tot.HandoffsStarted, tot.HandoffsCompleted, r.HandoffDropOff, started, completed)
	}
	h := r.Holds
	if h.Placed != placed || h.Ready != ready || h.Fulfilled != fulfilled || h.ShelfExpired != shelf {
		t.Errorf("%s: holds %+v, want placed %d ready %d fulfilled %d shelf-expired %d", node, h, placed, ready, fulfilled, shelf)
	}
	fill := slices.Clone(g.fill)
	slices.Sort(fill)
	nearest := func(p float64) int { return fill[int(math.Ceil(p*float64(len(fill))))-1] }
	if h.DaysToFillP50 == nil || *h.DaysToFillP50 != nearest(.5) || *h.DaysToFillP90 != nearest(.9) || *h.DaysToFillMax != fill[len(fill)-1] {
		t.Errorf("%s: days to fill p50 %v p90 %v max %v, want %d %d %d (of %v)", node, deref(h.DaysToFillP50), deref(h.DaysToFillP90),
			deref(h.DaysToFillMax), nearest(.5), nearest(.9), fill[len(fill)-1], fill)
	}
	if want := float64(placed); h.FillRate == nil || *h.FillRate != math.Round(float64(ready)/want*10000)/10000 {
		t.Errorf("%s: fill rate %v", node, h.FillRate)
	}
	// Patrons on two or more channels, per day and month.
	wantDays, wantMonths := []insight.PeriodCount{}, []insight.PeriodCount{}
	for p, byPatron := range g.active {
		n := 0
		for _, chs := range byPatron {
			if len(chs) >= 2 {
				n++
			}
		}
		if n == 0 {
			continue
		}
		if p[0] == 'D' {
			wantDays = append(wantDays, insight.PeriodCount{Period: p[1:], N: n})
		} else {
			wantMonths = append(wantMonths, insight.PeriodCount{Period: p[1:], N: n})
		}
	}
	byPeriod := func(a, b insight.PeriodCount) int { return cmpStrings(a.Period, b.Period) }
	slices.SortFunc(wantDays, byPeriod)
	slices.SortFunc(wantMonths, byPeriod)
	if len(wantMonths) == 0 || len(wantDays) == 0 {
		t.Fatalf("no patron used two channels: the workload tests nothing")
	}
	if !reflect.DeepEqual(r.MultichannelDays, wantDays) || !reflect.DeepEqual(r.MultichannelMonths, wantMonths) {
		t.Errorf("%s: multichannel days %v months %v, want %v %v", node, r.MultichannelDays, r.MultichannelMonths, wantDays, wantMonths)
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// checkHours checks the report's hour-of-day profile against the test's
// counts of the filter's days and branch.
func (g *truth) checkHours(t *testing.T, node string, f insight.Filter, r *insight.Report) {
	t.Helper()
	var want [24]int
	for k, n := range g.counts {
		if k.Date < f.From || k.Date > f.To || (f.LibraryID != "" && k.LibraryID != f.LibraryID) {
			continue
		}
		if k.Metric == insight.MetricLoans || k.Metric == insight.MetricReturns || k.Metric == insight.MetricRenewals {
			want[k.Hour] += n
		}
	}
	var got [24]int
	for h, k := range r.Hours {
		got[h] = k.Transactions()
	}
	if got != want {
		t.Errorf("%s: hours of %+v: %v, want %v", node, f, got, want)
	}
}
