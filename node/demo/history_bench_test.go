package demo_test

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/branch/privacy"
	"stacks/node"
	"stacks/replicate"
	"stacks/replicate/clock"
	"stacks/replicate/peersync"
	"stacks/replicate/replicatetest"
	"stacks/replicate/snapshot"
)

// Years of a busy branch, fast-forwarded (issue 21). A simulated branch
// lends about -history.loans times a day (checkouts, returns, renewals,
// holds and their pick-ups, new patrons and new titles), day by day with
// an injected clock; the privacy sweep anonymises returned loans every
// evening, as a branch node does (retention at_return, the default).
//
// The branch is a standalone log on which every op is stable as soon as
// the next compaction pass sees it, lagging one pass (-history.compact-every
// of simulated time): what a branch syncing with central sees, where
// central announces as stable what every replica has pulled (with a
// replica syncing every few seconds, the stable vector trails the branch's
// own by about one sync interval; here by one pass, which is longer). The
// state tables are what they would be on such a branch; the op table holds
// at most the ops of the last pass, as on a branch whose peers keep up.
var (
	histYears        = flag.Float64("history.years", 5, "years of simulated history for BenchmarkHistory")
	histLoans        = flag.Int("history.loans", 1500, "loans a day")
	histTitles       = flag.Int("history.titles", 30000, "titles at the start (1.5 copies each)")
	histPatrons      = flag.Int("history.patrons", 8000, "patrons at the start")
	histCompactEvery = flag.Duration("history.compact-every", time.Hour, "simulated time between compaction passes")
	histFullDays     = flag.Int("history.full-days", 60, "days of the uncompacted contrast run (extrapolated to -history.years)")
	histProgress     = flag.Bool("history.progress", false, "log a line every -history.every simulated days")
	histEvery        = flag.Int("history.every", 30, "days between progress lines")
	histProfile      = flag.String("history.cpuprofile", "", "write CPU profiles of -history.profile-span simulated days from each day of -history.profile-at to FILE-dayN.prof")
	histProfileAt    = flag.String("history.profile-at", "", "comma-separated days to start a CPU profile at")
	histProfileSpan  = flag.Int("history.profile-span", 5, "days a CPU profile spans")
	histConc         = flag.Int("history.concurrency", 16, "requests of a simulated hour in flight at once (the writer batches them, as it batches a busy desk's); 1 = one after another")
)

// The node's snapshot scrub (node.snapshotScrub), spelled out.
var histScrub = snapshot.Scrub{ClearTables: []string{"online_payments"}, DropTables: []string{"raft_applied", "central_members"},
	DropComponents: []string{"central"}, KeepMeta: []string{"demo"}}

type simItem struct {
	barcode, biblio string
	onLoan          bool
}

type pickup struct{ barcode, card string }

type histSim struct {
	// mu guards the model (items, shelf, cards, schedules, counters, rnd)
	// while a simulated hour's requests are in flight together; the
	// branch's own calls run outside it.
	mu      sync.Mutex
	b       *testing.B
	dir     string
	path    string
	caps    []branch.Capability
	db      *replicate.DB
	lg      *replicate.Log
	svc     *branch.Service
	priv    *privacy.Service
	clk     *clock.Fake
	rnd     *rand.Rand
	admin   context.Context
	desk    context.Context
	compact bool

	cards   []string
	items   []simItem
	avail   []int // indexes of items on the shelf
	availAt map[int]int
	returns map[int][]int // day -> items due back
	renews  map[int][]int // day -> items to renew
	pickups []pickup      // trapped yesterday, collected today
	day     int
	start   time.Time
	refused map[string]int // refused checkouts by error code

	stable      replicate.VersionVector // the vector at the previous pass
	hold        replicate.VersionVector // a new replica's vector: compaction waits for it
	nextCompact time.Time

	n struct {
		checkouts, checkins, renewals, holds, patrons, titles, failed, compacted, anonymised int
		compactTime                                                                          time.Duration
	}
	measured time.Duration // wall time of the checkpoints' measurements (not simulation)
}

func openHistDB(b *testing.B, path string, caps []branch.Capability, noSync bool) *replicate.DB {
	db, err := replicate.OpenDBOptions(context.Background(), path, branch.Migrations(caps...), replicate.DBOptions{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func openHistLog(b *testing.B, db *replicate.DB, caps []branch.Capability, id replicate.NodeID, clk clock.Clock) (*replicate.Log, *branch.Service) {
	ctx := context.Background()
	ap, err := branch.NewApplier(caps...)
	if err != nil {
		b.Fatal(err)
	}
	// As a node: insight's counters and the recommendations are derived
	// after the commit, in catch-up passes (histSim.catchUp, at the end of
	// each simulated hour and before anything reads them).
	def := branch.NewDeferral()
	ap = ap.Deferring(def)
	cfg := replicate.DefaultConfig(id)
	cfg.Clock = clk
	lg := replicate.NewLog(db, cfg, ap)
	if err := lg.Open(ctx); err != nil {
		b.Fatal(err)
	}
	scfg := branch.DefaultConfig("MAIN")
	scfg.Clock, scfg.Location, scfg.PINCost, scfg.Capabilities = clk, time.UTC, 4, caps
	scfg.Rand = replicatetest.NewRand(byte(id))
	scfg.Deferral = def
	svc, err := branch.NewService(lg, scfg)
	if err != nil {
		b.Fatal(err)
	}
	return lg, svc
}

// newHistSim opens the branch (fsync off: the bench measures sizes and the
// replicas' times, not the branch's own commits) and loads its catalogue
// and patrons.
func newHistSim(b *testing.B, compact bool) *histSim {
	s := &histSim{b: b, dir: b.TempDir(), compact: compact, rnd: rand.New(rand.NewPCG(21, 5)),
		availAt: map[int]int{}, refused: map[string]int{}, returns: map[int][]int{}, renews: map[int][]int{}}
	s.path = filepath.Join(s.dir, "branch.db")
	s.caps = node.CapabilitiesIn(time.UTC)
	s.start = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	s.clk = clock.NewFake(s.start.Add(8 * time.Hour))
	s.db = openHistDB(b, s.path, s.caps, true)
	s.lg, s.svc = openHistLog(b, s.db, s.caps, 1, s.clk)
	s.priv = privacy.New(s.svc)
	b.Cleanup(func() { s.lg.Close(); s.db.Close() })
	ctx := context.Background()
	s.admin = domain.WithActor(ctx, domain.Actor{ID: "admin", Role: domain.RoleAdmin, Channel: domain.ChannelDesk})
	s.desk = domain.WithActor(ctx, domain.Actor{ID: "desk", Role: domain.RoleCirculation, Channel: domain.ChannelDesk})
	s.must(s.svc.SetLibrary(s.admin, domain.Library{BranchID: "MAIN", Name: "Main", HoldShelfDays: 7}))
	s.must(s.svc.SetCategory(s.admin, domain.Category{Category: "ADULT", MaxFineCents: 100000, MaxHolds: 50}))
	s.must(s.svc.SetItemType(s.admin, domain.ItemType{ItemType: "BOOK"}))
	// No fines: a patron blocked by fines would only make the model skip
	// them; everything else is a public library's ordinary rule.
	s.must(s.svc.SetRule(s.admin, domain.Rule{BranchID: "*", Category: "*", ItemType: "*", LoanDays: 21, Renewals: 2,
		MaxLoans: 150, HoldsAllowed: true}))
	s.addTitles(*histTitles)
	for i := 0; i < *histPatrons; i++ {
		s.addPatron()
	}
	s.catchUp()
	s.stable, _ = s.lg.VersionVector(ctx)
	s.nextCompact = s.clk.Now().Add(*histCompactEvery)
	return s
}

// say logs a line now (a benchmark's b.Logf lines appear only at its
// end, hours later).
func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().UTC().Format("15:04:05 ")+format+"\n", args...)
}

func (s *histSim) must(err error) {
	s.b.Helper()
	if err != nil {
		s.b.Fatal(err)
	}
}

func (s *histSim) addTitles(n int) {
	for i := 0; i < n; i += 1000 {
		var nbs []domain.NewBiblio
		for j := i; j < min(i+1000, n); j++ {
			k := s.n.titles + j
			nbs = append(nbs, domain.NewBiblio{Title: fmt.Sprintf("The Collected Letters of Author %d, Volume %d", k/7, k%7+1),
				Authors: []string{fmt.Sprintf("Author %d", k/7)}, Subjects: []string{"Letters", fmt.Sprintf("Topic %d", k%97)},
				Publisher: "Stacks Press", Year: 1950 + k%75, Language: "eng"})
		}
		ids, err := s.svc.AddBiblios(s.admin, nbs)
		s.must(err)
		// The copies take their indexes (and barcodes) now; they reach the
		// model's shelf once they exist (until then a hold passes them by).
		var nis []domain.NewItem
		var added []int
		s.mu.Lock()
		for _, id := range ids {
			for c := 0; c < 1+s.rnd.IntN(2); c++ {
				bc := fmt.Sprintf("39%011d", len(s.items))
				nis = append(nis, domain.NewItem{Barcode: bc, BiblioID: id, ItemType: "BOOK", HomeBranch: "MAIN"})
				s.items = append(s.items, simItem{barcode: bc, biblio: id})
				added = append(added, len(s.items)-1)
			}
		}
		s.mu.Unlock()
		_, err = s.svc.AddItems(s.admin, nis)
		s.must(err)
		s.mu.Lock()
		for _, i := range added {
			s.shelve(i)
		}
		s.mu.Unlock()
	}
	s.n.titles += n
}

func (s *histSim) addPatron() {
	s.mu.Lock()
	k := len(s.cards)
	s.mu.Unlock()
	p, err := s.svc.RegisterPatron(s.desk, domain.NewPatron{Firstname: fmt.Sprint("Reader", k), Surname: fmt.Sprint("Patron", k),
		Email: fmt.Sprintf("reader%d@example.org", k), Phone: fmt.Sprintf("+35840%07d", k), Address: fmt.Sprintf("Library Street %d, Helsinki", k),
		DateOfBirth: fmt.Sprintf("%d-%02d-%02d", 1940+k%70, 1+k%12, 1+k%28), HomeBranch: "MAIN", Category: "ADULT", PIN: "1234", ExpiryDate: "2099-12-31"})
	s.must(err)
	s.mu.Lock()
	s.cards = append(s.cards, p.Cardnumber)
	s.n.patrons++
	s.mu.Unlock()
}

func (s *histSim) shelve(i int) {
	s.items[i].onLoan = false
	s.availAt[i] = len(s.avail)
	s.avail = append(s.avail, i)
}

func (s *histSim) unshelve(i int) {
	at, ok := s.availAt[i]
	if !ok {
		return
	}
	last := s.avail[len(s.avail)-1]
	s.avail[at], s.availAt[last] = last, at
	s.avail = s.avail[:len(s.avail)-1]
	delete(s.availAt, i)
}

// card picks a patron, the heavy readers more often (s.mu held).
func (s *histSim) card() string {
	return s.cards[int(math.Pow(s.rnd.Float64(), 1.5)*float64(len(s.cards)))]
}

// checkout lends item i to card; false if refused (the item then leaves
// the model's shelf: it may be on the hold shelf for someone else, and a
// patron blocked today tries another item).
func (s *histSim) checkout(i int, card string) bool {
	s.mu.Lock()
	s.unshelve(i)
	bc := s.items[i].barcode
	s.mu.Unlock()
	_, err := s.svc.Checkout(s.desk, domain.CheckoutRequest{Cardnumber: card, Barcode: bc})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.n.failed++
		s.refused[string(domain.ErrorCode(err))]++
		return false
	}
	s.n.checkouts++
	s.items[i].onLoan = true
	back := func(day int) { s.returns[day] = append(s.returns[day], i) }
	switch r := s.rnd.Float64(); {
	case r < 0.78: // back within the loan period
		back(s.day + 3 + s.rnd.IntN(19))
	case r < 0.95: // renewed once, then back
		s.renews[s.day+19] = append(s.renews[s.day+19], i)
		back(s.day + 22 + s.rnd.IntN(18))
	default: // a few days late
		back(s.day + 22 + s.rnd.IntN(7))
	}
	return true
}

func (s *histSim) checkin(i int) {
	s.mu.Lock()
	bc := s.items[i].barcode
	s.mu.Unlock()
	res, err := s.svc.Checkin(s.desk, domain.CheckinRequest{Barcode: bc})
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.n.failed++
		return
	}
	s.n.checkins++
	if res.Hold != nil && res.HoldPatron != nil {
		s.items[i].onLoan = false
		s.pickups = append(s.pickups, pickup{barcode: bc, card: res.HoldPatron.Cardnumber})
		return
	}
	s.shelve(i)
}

// day runs one opening day, 09:00-20:00, its events spread evenly, then
// the evening's privacy sweep and a compaction pass. The requests of a
// simulated hour go to the branch up to -history.concurrency at a time,
// as from several desks and kiosks at once (the branch's writer batches
// them into one commit, as it does a busy desk's); each reads the clock
// when it runs. Between hours all are answered, then compaction is due.
// New titles and patrons are made by the dispatcher itself.
func (s *histSim) runDay() {
	date := s.start.AddDate(0, 0, s.day)
	s.clk.Set(date.Add(9 * time.Hour))
	type event struct {
		kind byte
		i    int
		p    pickup
	}
	var evs []event
	for _, i := range s.returns[s.day] {
		evs = append(evs, event{kind: 'r', i: i})
	}
	for _, i := range s.renews[s.day] {
		evs = append(evs, event{kind: 'n', i: i})
	}
	delete(s.returns, s.day)
	delete(s.renews, s.day)
	for _, p := range s.pickups {
		evs = append(evs, event{kind: 'p', p: p})
	}
	s.pickups = nil
	loans := *histLoans - len(evs)/20
	for k := 0; k < loans; k++ {
		evs = append(evs, event{kind: 'c'})
	}
	for k := 0; k < *histLoans/25; k++ { // holds: ~4% of loans
		evs = append(evs, event{kind: 'h'})
	}
	for k := 0; k < 8; k++ { // new patrons
		evs = append(evs, event{kind: 'u'})
	}
	evs = append(evs, event{kind: 't'}) // the day's new titles
	s.rnd.Shuffle(len(evs), func(a, b int) { evs[a], evs[b] = evs[b], evs[a] })
	step := 11 * time.Hour / time.Duration(len(evs)+1)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, *histConc))
	hour := s.clk.Now().Truncate(time.Hour)
	for _, e := range evs {
		s.clk.Advance(step)
		if h := s.clk.Now().Truncate(time.Hour); h != hour {
			hour = h
			wg.Wait()
			s.catchUp()
			s.maybeCompact()
		}
		switch e.kind {
		case 'u':
			s.addPatron()
			continue
		case 't':
			s.addTitles(20)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.event(e.kind, e.i, e.p)
		}()
	}
	wg.Wait()
	s.catchUp()
	s.maybeCompact()
	s.clk.Set(date.Add(20*time.Hour + 5*time.Minute))
	n, err := s.priv.Sweep(s.admin, "MAIN")
	s.must(err)
	s.n.anonymised += n
	s.catchUp()
	s.maybeCompact()
	// At night the branch is idle and its WAL checkpointer completes (by
	// day, under a simulation that never pauses, a passive checkpoint
	// never catches up with the writer and the WAL would grow without end).
	s.must(s.db.CheckpointTruncate(context.Background()))
	s.day++
}

// event makes one desk request of the day (any goroutine): a return (r),
// a renewal (n), a hold's pick-up (p), a checkout from the shelf (c) or a
// hold on a title out on loan (h).
func (s *histSim) event(kind byte, i int, p pickup) {
	switch kind {
	case 'r':
		s.checkin(i)
	case 'n':
		s.mu.Lock()
		onLoan, bc := s.items[i].onLoan, s.items[i].barcode
		s.mu.Unlock()
		if !onLoan {
			return
		}
		_, err := s.svc.Renew(s.desk, domain.RenewRequest{Barcode: bc})
		s.tally(err, &s.n.renewals)
	case 'p':
		idx, _ := strconv.Atoi(p.barcode[2:]) // the barcode's number is the item's index
		s.checkout(idx, p.card)
	case 'c':
		for try := 0; try < 3; try++ { // refused: the patron picks another item, or the next patron comes
			s.mu.Lock()
			if len(s.avail) == 0 {
				s.mu.Unlock()
				return
			}
			it := s.avail[s.rnd.IntN(len(s.avail))]
			card := s.card()
			s.unshelve(it)
			s.mu.Unlock()
			if s.checkout(it, card) {
				return
			}
		}
	case 'h':
		s.mu.Lock()
		it := s.rnd.IntN(len(s.items))
		onLoan, biblio := s.items[it].onLoan, s.items[it].biblio
		card := ""
		if onLoan {
			card = s.card()
		}
		s.mu.Unlock()
		if !onLoan {
			return
		}
		_, err := s.svc.PlaceHold(s.desk, domain.HoldRequest{Cardnumber: card, BiblioID: biblio, PickupBranch: "MAIN"})
		s.tally(err, &s.n.holds)
	}
}

// tally counts a request's outcome: a failure, or one more in done.
func (s *histSim) tally(err error, done *int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.n.failed++
	} else {
		(*done)++
	}
}

// catchUp derives what the hour's commits noted (the node's catch-up
// loop does it after each commit, a few at a time under load; the derived
// rows are the same whenever it runs).
func (s *histSim) catchUp() {
	s.must(s.svc.CatchUp(context.Background()))
}

// maybeCompact runs a compaction pass when one is due: it deletes what
// was already in the log at the previous pass (and what a new replica
// being bootstrapped holds).
func (s *histSim) maybeCompact() {
	if !s.compact || s.clk.Now().Before(s.nextCompact) {
		return
	}
	for !s.clk.Now().Before(s.nextCompact) {
		s.nextCompact = s.nextCompact.Add(*histCompactEvery)
	}
	ctx := context.Background()
	stable := replicate.VersionVector{}
	for o, c := range s.stable {
		stable[o] = c
		if s.hold != nil {
			stable[o] = min(c, s.hold[o])
		}
	}
	t0 := time.Now()
	for {
		res, err := s.lg.Compact(ctx, stable, 2000)
		s.must(err)
		s.n.compacted += res.Ops
		if !res.More {
			break
		}
	}
	s.n.compactTime += time.Since(t0)
	s.stable, _ = s.lg.VersionVector(ctx)
}

func (s *histSim) ops() uint64 {
	vv, _ := s.lg.VersionVector(context.Background())
	var n uint64
	for _, c := range vv {
		n += c
	}
	return n
}

// histSizes is the disk a database takes after a TRUNCATE checkpoint,
// beside the state alone: a VACUUM INTO copy with the op log emptied and
// vacuumed again.
type histSizes struct {
	file, wal, free, opsTable, state int64
	opsRows                          int64
}

func (s *histSim) sizes() histSizes {
	ctx := context.Background()
	s.must(s.db.CheckpointTruncate(ctx))
	var z histSizes
	var pages, free, size int64
	r := s.db.Read()
	s.must(r.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages))
	s.must(r.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free))
	s.must(r.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size))
	s.must(r.QueryRowContext(ctx, `SELECT count(*) FROM ops`).Scan(&z.opsRows))
	st, err := os.Stat(s.path)
	s.must(err)
	z.file, z.free = st.Size(), free*size
	if wst, err := os.Stat(s.path + "-wal"); err == nil {
		z.wal = wst.Size()
	}
	tmp := filepath.Join(s.dir, "state-alone.db")
	os.Remove(tmp)
	ro, err := sql.Open("sqlite3", "file:"+s.path+"?mode=ro") // the reader pool is query_only, which VACUUM INTO refuses
	s.must(err)
	_, err = ro.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	ro.Close()
	s.must(err)
	defer os.Remove(tmp)
	c, err := sql.Open("sqlite3", "file:"+tmp)
	s.must(err)
	defer c.Close()
	st, err = os.Stat(tmp)
	s.must(err)
	whole := st.Size()
	_, err = c.ExecContext(ctx, `DELETE FROM ops`)
	s.must(err)
	_, err = c.ExecContext(ctx, `VACUUM`)
	s.must(err)
	c.Close()
	st, err = os.Stat(tmp)
	s.must(err)
	z.state = st.Size()
	z.opsTable = whole - z.state // the op log's pages, its index's too
	return z
}

// BenchmarkHistory runs -history.years of a busy branch with compaction
// (sub-benchmark compacted), and -history.full-days of the same without it
// (full), for contrast. At the end of year 1 and at the end: the disk
// beside the state alone, and a new replica bootstrapped from a snapshot
// over loopback HTTP beside a bare copy of the same database; on the
// uncompacted run, also the replay of the whole log into an empty replica.
// Run once:
//
//	go test -tags sqlite_fts5 ./node/demo -run '^$' -bench History -benchtime 1x -timeout 3h -history.years 5
func BenchmarkHistory(b *testing.B) {
	b.Run("full", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runHistory(b, false, *histFullDays)
		}
	})
	b.Run("compacted", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runHistory(b, true, int(math.Round(*histYears*365)))
		}
	})
}

func runHistory(b *testing.B, compact bool, days int) {
	b.StopTimer()
	t0 := time.Now()
	s := newHistSim(b, compact)
	say("%s: catalogue of %d titles (%d copies), %d patrons, %d ops, in %s", b.Name(), s.n.titles, len(s.items), len(s.cards), s.ops(),
		time.Since(t0).Round(time.Millisecond))
	// Checkpoints: the disk against the state alone at a month, every half
	// year (day 182, 365, 547, ...) and the end; a new replica from a
	// snapshot (and the replay) at a month, every year and the end. The
	// state-alone copies are two full rewrites of the database each, so
	// they are kept to these.
	sizesAt := map[int]bool{days: true, 30: true}
	bootAt := map[int]bool{days: true, 30: true}
	for k := 1; int(math.Round(float64(k)*182.5)) < days; k++ {
		sizesAt[int(math.Round(float64(k)*182.5))] = true
		if k%2 == 0 {
			bootAt[k/2*365] = true
		}
	}
	simStart := time.Now()
	lastOps, lastAt, lastMeasured := s.ops(), time.Now(), time.Duration(0)
	profileAt := map[int]bool{}
	for _, f := range strings.Split(*histProfileAt, ",") {
		if d, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			profileAt[d] = true
		}
	}
	var profiling *os.File
	profileEnd := 0
	defer func() {
		if profiling != nil {
			pprof.StopCPUProfile()
			profiling.Close()
		}
	}()
	for s.day < days {
		if *histProfile != "" && profiling == nil && profileAt[s.day] {
			f, err := os.Create(fmt.Sprintf("%s-day%d.prof", *histProfile, s.day))
			s.must(err)
			s.must(pprof.StartCPUProfile(f))
			profiling, profileEnd = f, s.day+*histProfileSpan
			say("day %d: CPU profile of %d days to %s", s.day, *histProfileSpan, f.Name())
		}
		s.runDay()
		if profiling != nil && s.day >= profileEnd {
			pprof.StopCPUProfile()
			profiling.Close()
			profiling = nil
		}
		if *histProgress && s.day%*histEvery == 0 {
			ops := s.ops()
			span := time.Since(lastAt) - (s.measured - lastMeasured)
			say("day %d: %d ops (+%d, %.0f ops/s), %d checkouts, %d refused %v, %d items on the shelf, %s wall (%s measuring), compaction %s, load %s", s.day, ops, ops-lastOps,
				float64(ops-lastOps)/span.Seconds(), s.n.checkouts, s.n.failed, s.refused, len(s.avail), time.Since(simStart).Round(time.Second),
				s.measured.Round(time.Second), s.n.compactTime.Round(time.Millisecond), loadAvg())
			lastOps, lastAt, lastMeasured = ops, time.Now(), s.measured
		}
		if sizesAt[s.day] || bootAt[s.day] {
			t0 := time.Now()
			s.report(compact, days, time.Since(simStart)-s.measured, bootAt[s.day])
			s.measured += time.Since(t0)
		}
	}
}

// loadAvg is the machine's load average over 1, 5 and 15 minutes.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func (s *histSim) report(compact bool, days int, wall time.Duration, boot bool) {
	b := s.b
	ops := s.ops()
	z := s.sizes()
	tag := fmt.Sprintf("day%d", s.day)
	var loans, open, anon int64
	s.db.Read().QueryRow(`SELECT count(*), count(*) FILTER (WHERE returned_at=''), count(*) FILTER (WHERE patron_id='') FROM loans`).Scan(&loans, &open, &anon)
	say("%s %s: %d ops made (%.0f a day), %d in the log; %d checkouts, %d returns, %d renewals, %d holds, %d patrons, %d titles, %d refused; loans %d (open %d, anonymised %d); simulated in %s (%.0f ops/s), compaction passes %s",
		b.Name(), tag, ops, float64(ops)/float64(s.day), z.opsRows, s.n.checkouts, s.n.checkins, s.n.renewals, s.n.holds, s.n.patrons, s.n.titles, s.n.failed,
		loans, open, anon, wall.Round(time.Second), float64(ops)/wall.Seconds(), s.n.compactTime.Round(time.Millisecond))
	disk := z.file + z.wal
	say("%s %s: disk %d bytes (file %d + WAL %d; free pages %d; ops table %d) against the state alone %d: %.2fx; load %s",
		b.Name(), tag, disk, z.file, z.wal, z.free, z.opsTable, z.state, float64(disk)/float64(z.state), loadAvg())
	b.ReportMetric(float64(ops), tag+"-ops")
	b.ReportMetric(float64(disk), tag+"-disk-bytes")
	b.ReportMetric(float64(z.state), tag+"-state-bytes")
	b.ReportMetric(float64(disk)/float64(z.state), tag+"-disk/state")
	if !compact {
		perDay := float64(disk) / float64(s.day)
		say("%s %s: uncompacted, %.0f bytes of disk a day, %.0f a day of state; extrapolated linearly to %g years: disk %.2f GB, state %.2f GB, op log %.2f GB",
			b.Name(), tag, perDay, float64(z.state)/float64(s.day), *histYears, perDay*365**histYears/1e9, float64(z.state)/float64(s.day)*365**histYears/1e9,
			float64(z.opsTable)/float64(s.day)*365**histYears/1e9)
	}
	if boot {
		s.bootstrap(tag)
		s.replay(tag)
	}
}

// bootstrap starts a new replica from a snapshot of the branch over
// loopback HTTP (the branch makes it: VACUUM INTO and its SHA-256; the
// replica downloads, verifies and installs it, opens it, and pulls the ops
// made after it through the sync routes), beside a bare copy of the
// branch's database file (with fsync) in the same run.
func (s *histSim) bootstrap(tag string) {
	b := s.b
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := snapshot.NewServer(snapshot.ServerConfig{DB: s.db, Dir: filepath.Join(s.dir, "snapshots"), Node: s.lg.Node(), Scrub: histScrub})
	go srv.Run(ctx)
	mux := http.NewServeMux()
	srv.Register(mux)
	peersync.NewServer(s.lg, func(replicate.Op) error { return nil }, nil).Register(mux)
	hs := httptest.NewServer(mux)
	defer hs.Close()

	// The limit: the branch's database file, copied with fsync (read once
	// first, so it is in the page cache as the branch's own file is).
	s.must(s.db.CheckpointTruncate(ctx))
	copied := copyFile(b, s.path, filepath.Join(s.dir, "copy.db"))

	rdir := filepath.Join(s.dir, "replica-"+tag)
	s.must(os.MkdirAll(filepath.Join(rdir, "bootstrap"), 0o750))
	t0 := time.Now()
	info, err := snapshot.Fetch(ctx, snapshot.FetchConfig{Peer: hs.URL, Dir: filepath.Join(rdir, "bootstrap")})
	s.must(err)
	fetched := time.Since(t0)
	rpath := filepath.Join(rdir, "stacks.db")
	vv, err := snapshot.Install(ctx, filepath.Join(rdir, "bootstrap"), rpath, histScrub, nil)
	s.must(err)
	installed := time.Since(t0)
	rdb := openHistDB(b, rpath, s.caps, false)
	defer rdb.Close()
	rlg, rsvc := openHistLog(b, rdb, s.caps, 2, s.clk)
	defer rlg.Close()
	opened := time.Since(t0)
	// While it downloaded, the branch went on lending: a simulated day
	// more (compaction waits for the new replica, as for any registered
	// one), then the replica pulls it over the sync route.
	s.hold = vv
	s.runDay()
	before := s.ops()
	t1 := time.Now()
	sy := peersync.NewSyncer(rlg, peersync.SyncerConfig{Validate: func(replicate.Op) error { return nil }})
	s.must(sy.SyncOnce(ctx, hs.URL))
	caught := time.Since(t1)
	st := sy.Status()[0]
	s.hold = nil
	s.catchUp()
	s.must(rsvc.CatchUp(ctx))
	want, _ := s.svc.StateHash(ctx)
	got, _ := rsvc.StateHash(ctx)
	if got != want {
		b.Fatalf("replica's state %s, branch's %s", got, want)
	}
	snapCopy := copyFile(b, filepath.Join(rdir, "stacks.db"), filepath.Join(s.dir, "copy.db"))
	say("%s %s: snapshot %d bytes; fetch (make + download + SHA-256) %s, + install %s, + open %s; catch-up of a day's %d ops (%d left after the snapshot's %d) over HTTP %s; bare copy of the branch's %d-byte file %s (%.1fx), of the snapshot's bytes %s; ready %.1fx the copy; load %s",
		b.Name(), tag, info.Size, fetched.Round(time.Millisecond), (installed - fetched).Round(time.Millisecond), (opened - installed).Round(time.Millisecond),
		st.OpsPulled, before-sum(vv), sum(vv), caught.Round(time.Millisecond), fileSize(s.path), copied.Round(time.Millisecond),
		opened.Seconds()/copied.Seconds(), snapCopy.Round(time.Millisecond), (opened+caught).Seconds()/copied.Seconds(), loadAvg())
	b.ReportMetric(float64(info.Size), tag+"-snapshot-bytes")
	b.ReportMetric(opened.Seconds(), tag+"-bootstrap-s")
	b.ReportMetric(caught.Seconds(), tag+"-catchup-day-s")
	b.ReportMetric(copied.Seconds(), tag+"-copy-s")
	b.ReportMetric(opened.Seconds()/copied.Seconds(), tag+"-bootstrap/copy")
	cancel()
	rlg.Close()
	rdb.Close()
	os.RemoveAll(rdir)
	os.RemoveAll(filepath.Join(s.dir, "snapshots"))
}

// replay builds a replica from nothing by applying the whole log (durably,
// in frames of 5,000 ops as sync sends them): impossible once the log is
// compacted, which it says.
func (s *histSim) replay(tag string) {
	b := s.b
	ctx := context.Background()
	if err := s.lg.CheckServable(ctx, replicate.VersionVector{}); err != nil {
		if !errors.Is(err, replicate.ErrCompacted) {
			b.Fatal(err)
		}
		say("%s %s: replay of the whole history into an empty replica: impossible, the log is compacted (%v)", b.Name(), tag, err)
		return
	}
	rpath := filepath.Join(s.dir, "replay-"+tag+".db")
	rdb := openHistDB(b, rpath, s.caps, false)
	rlg, rsvc := openHistLog(b, rdb, s.caps, 3, s.clk)
	t0 := time.Now()
	n := 0
	for {
		have, err := rlg.VersionVector(ctx)
		s.must(err)
		ops, err := s.lg.Ops(ctx, have, 5000)
		s.must(err)
		if len(ops) == 0 {
			break
		}
		k, err := rlg.Integrate(ctx, ops)
		s.must(err)
		n += k
	}
	took := time.Since(t0)
	s.catchUp()
	s.must(rsvc.CatchUp(ctx))
	want, _ := s.svc.StateHash(ctx)
	got, _ := rsvc.StateHash(ctx)
	if got != want {
		b.Fatalf("replayed state %s, branch's %s", got, want)
	}
	say("%s %s: replay of the whole history into an empty replica: %d ops in %s (%.0f ops/s); extrapolated to %g years: %.0f s",
		b.Name(), tag, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), *histYears, took.Seconds()*365**histYears/float64(s.day))
	b.ReportMetric(took.Seconds(), tag+"-replay-s")
	b.ReportMetric(float64(n), tag+"-replay-ops")
	rlg.Close()
	rdb.Close()
	os.Remove(rpath)
	os.Remove(rpath + "-wal")
	os.Remove(rpath + "-shm")
}

func sum(vv replicate.VersionVector) uint64 {
	var n uint64
	for _, c := range vv {
		n += c
	}
	return n
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// copyFile times a copy of from to to with fsync (from read once first),
// and removes the copy.
func copyFile(b *testing.B, from, to string) time.Duration {
	defer os.Remove(to)
	d, err := replicatetest.SyncedCopy(from, to)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

var histCatchWarm = flag.Int("history.catchup-warm", 30, "days of history before the replica falls behind, for BenchmarkHistoryCatchUp50k")

// BenchmarkHistoryCatchUp50k: a replica of the simulated branch (after
// -history.catchup-warm days) falls 50,000 ops behind (the branch's own
// mix: checkouts, returns, renewals, holds, new patrons and titles, the
// privacy sweep's anonymisations), then catches up over the real sync
// path: peersync's pull over HTTP on 127.0.0.1, durably (synchronous=FULL).
// Beside it in the same run, the limit: the bare apply of the same ops in
// process (Log.Integrate in frames of 5,000, the ops already in memory),
// on a copy of the same replica, also durable. Each iteration starts both
// from fresh copies of the replica, alternating which goes first. Run:
//
//	go test -tags sqlite_fts5 ./node/demo -run '^$' -bench HistoryCatchUp50k -benchtime 3x
func BenchmarkHistoryCatchUp50k(b *testing.B) {
	const behind = 50_000
	b.StopTimer()
	ctx := context.Background()
	s := newHistSim(b, true)
	for s.day < *histCatchWarm {
		s.runDay()
	}
	// The replica, at this point of the history: started from a snapshot
	// of the branch; from then on it holds compaction back, as a
	// registered replica does.
	base := filepath.Join(s.dir, "replica-base.db")
	vv, err := snapshot.Make(ctx, s.db, base, histScrub)
	s.must(err)
	s.hold = vv
	at := sum(vv)
	for s.ops() < at+behind {
		s.runDay()
	}
	baseVV := vv
	var missing []replicate.Op
	for have := baseVV; ; {
		ops, err := s.lg.Ops(ctx, have, 5000)
		s.must(err)
		if len(ops) == 0 {
			break
		}
		missing = append(missing, ops...)
		have = replicate.VersionVector{1: ops[len(ops)-1].Counter}
	}
	kinds := map[string]int{}
	for _, op := range missing {
		kinds[op.Kind]++
	}
	s.catchUp()
	say("the replica is %d ops behind (%d simulated days, day %d to %d): %v", len(missing), s.day-*histCatchWarm, *histCatchWarm, s.day, kinds)
	want, _ := s.svc.StateHash(ctx)
	mux := http.NewServeMux()
	peersync.NewServer(s.lg, func(replicate.Op) error { return nil }, nil).Register(mux)
	hs := httptest.NewServer(mux)
	defer hs.Close()

	open := func(name string) (*replicate.DB, *replicate.Log, *branch.Service) {
		path := filepath.Join(s.dir, name)
		in, err := os.ReadFile(base)
		s.must(err)
		s.must(os.WriteFile(path, in, 0o600))
		rdb := openHistDB(b, path, s.caps, false)
		rlg, rsvc := openHistLog(b, rdb, s.caps, 2, s.clk)
		return rdb, rlg, rsvc
	}
	var httpT, bareT time.Duration
	var wire int64
	for i := 0; i < b.N; i++ {
		runHTTP := func() {
			rdb, rlg, rsvc := open(fmt.Sprint("http", i, ".db"))
			sy := peersync.NewSyncer(rlg, peersync.SyncerConfig{Validate: func(replicate.Op) error { return nil }})
			b.StartTimer()
			t0 := time.Now()
			// As the node's sync loop does: a pull cut short (the sync
			// client's 60 s timeout, under load) keeps the frames it
			// applied, and the next round resumes from there.
			rounds := 0
			for {
				rounds++
				err := sy.SyncOnce(ctx, hs.URL)
				have, verr := rlg.VersionVector(ctx)
				s.must(verr)
				if have[1] >= at+uint64(len(missing)) {
					break
				}
				if rounds == 20 {
					b.Fatalf("not caught up after 20 rounds: %v", err)
				}
				say("over HTTP: round %d ended at %d of %d ops: %v", rounds, have[1]-at, len(missing), err)
			}
			d := time.Since(t0)
			b.StopTimer()
			httpT += d
			st := sy.Status()[0]
			wire = st.BytesIn
			s.must(rsvc.CatchUp(ctx))
			if got, _ := rsvc.StateHash(ctx); got != want || st.OpsPulled < int64(len(missing)) {
				b.Fatalf("over HTTP: pulled %d ops; state %s, want %s", st.OpsPulled, got, want)
			}
			say("over HTTP: %d ops in %s (%.0f ops/s), %d rounds", st.OpsPulled, d.Round(time.Millisecond), float64(st.OpsPulled)/d.Seconds(), rounds)
			rlg.Close()
			rdb.Close()
		}
		runBare := func() {
			rdb, rlg, rsvc := open(fmt.Sprint("bare", i, ".db"))
			t0 := time.Now()
			for k := 0; k < len(missing); k += 5000 {
				_, err := rlg.Integrate(ctx, missing[k:min(k+5000, len(missing))])
				s.must(err)
			}
			d := time.Since(t0)
			bareT += d
			s.must(rsvc.CatchUp(ctx))
			if got, _ := rsvc.StateHash(ctx); got != want {
				b.Fatalf("bare apply: state %s, want %s", got, want)
			}
			say("bare apply: %d ops in %s (%.0f ops/s)", len(missing), d.Round(time.Millisecond), float64(len(missing))/d.Seconds())
			rlg.Close()
			rdb.Close()
		}
		if i%2 == 0 {
			runHTTP()
			runBare()
		} else {
			runBare()
			runHTTP()
		}
	}
	n := float64(len(missing)) * float64(b.N)
	b.ReportMetric(float64(len(missing)), "ops-behind")
	b.ReportMetric(httpT.Seconds()/float64(b.N), "http-s")
	b.ReportMetric(n/httpT.Seconds(), "http-ops/s")
	b.ReportMetric(bareT.Seconds()/float64(b.N), "bare-s")
	b.ReportMetric(n/bareT.Seconds(), "bare-ops/s")
	b.ReportMetric(httpT.Seconds()/bareT.Seconds(), "http/bare")
	b.ReportMetric(float64(wire)/float64(len(missing)), "wire-bytes/op")
}
