// Package simulations runs a whole library system in one process: several
// branches with the real branch and replicate code over real SQLite files,
// but a simulated clock and a simulated network, all driven by one seed.
// It injects faults (partitions, loss, duplication, reordering, delay,
// clock skew and jumps, crashes with restart from disk, full disks) under a
// library's working week, and checks invariants as it goes and at the end.
// The same seed gives the same run, byte for byte.
package simulations

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
	"stacks/replicate/clock"
)

// Faults chooses what goes wrong.
type Faults struct {
	Partitions bool          // links cut between a random group of branches and the rest, healing later
	Loss       float64       // chance a sync message is lost
	Dup        float64       // chance a sync message is delivered twice
	MaxDelay   time.Duration // messages take up to this long, so they overtake each other
	ClockSkew  time.Duration // each branch's clock is off by up to this, and now and then jumps
	Crashes    bool          // branches crash (also just before a commit) and restart from disk
	FullDisk   bool          // a branch's disk fills up for a while
}

// AllFaults turns every fault on.
func AllFaults() Faults {
	return Faults{Partitions: true, Loss: 0.1, Dup: 0.1, MaxDelay: 20 * time.Minute, ClockSkew: 5 * time.Minute, Crashes: true, FullDisk: true}
}

// Config is one simulation.
type Config struct {
	Seed     uint64
	Branches int
	Days     int
	// PatronsPerBranch and TitlesPerBranch size the library.
	PatronsPerBranch int
	TitlesPerBranch  int
	// Activity scales the number of commands per open minute: 1 is a
	// mid-size branch (about 1,500 transactions on a weekday).
	Activity float64
	Faults   Faults
	// LateRegistration registers the last branch at central only at 11:00
	// on the first day, after it has lent and pushed for hours (see
	// TestRegressionLateRegistration).
	LateRegistration bool
	// Compact turns on compaction of the op log by causal stability: every
	// simulated hour central learns the stable vector (the minimum of every
	// replica's vector, as each was last seen up) and announces it in its
	// sync answers; central replicas compact with it, branches with what
	// their syncers learned. Invariants hold as without it.
	Compact bool
	// NewReplica: on the first day (11:00-14:00) one branch's appliance is
	// replaced by a new replica: the old one takes no more work and, once
	// central holds its ops, is retired at central; the new one, under a
	// new node ID registered at central, starts from a snapshot of a live
	// branch peer's database (replicate/snapshot), syncs and works on.
	NewReplica bool
	// Rejoin (with Compact): on the first morning one branch goes down,
	// holding ops central lacks, for longer than the horizon; compaction
	// goes on without it. When it returns, a peer answers its pull with
	// 410 rebootstrap_required, its syncer pushes its own ops first, and
	// once central holds them it is replaced from a snapshot of a peer as
	// with NewReplica.
	Rejoin bool
	// Horizon: a replica not seen up for longer no longer holds
	// compaction back (0: none; 3 hours with Rejoin).
	Horizon time.Duration
	// PlantBug plants a known bug (see PlantedBugs) to check the checker.
	PlantBug string
	// Dir holds the branch databases; empty means a temporary dir removed afterwards.
	Dir    string
	Logger *slog.Logger
	// Progress, if set, gets a line at the end of every simulated day
	// (ops so far, real time, peak memory): long runs show how they go.
	Progress io.Writer
}

// DefaultConfig is a small scenario: three quiet branches (about 250
// transactions each), the central site, one day, every fault.
func DefaultConfig(seed uint64) Config {
	return Config{Seed: seed, Branches: 3, Days: 1, PatronsPerBranch: 12, TitlesPerBranch: 20, Activity: 0.15, Faults: AllFaults()}
}

// LargeConfig is the large scenario: twelve busy branches (about 3,700
// transactions a weekday each) and the central site for a month, over a
// million ops, every fault. Every op is applied at every replica, so the
// cost grows with replicas x ops: fifty branches for a month (2.5 million
// ops at 53 replicas) take hours here (BENCHMARKS.md).
func LargeConfig(seed uint64) Config {
	return Config{Seed: seed, Branches: 12, Days: 30, PatronsPerBranch: 1000, TitlesPerBranch: 1000, Activity: 2.5, Faults: AllFaults()}
}

// Validate reports a config that cannot run.
func (c Config) Validate() error {
	switch {
	case c.Branches < 2 || c.Branches > 200:
		return errors.New("simulations: 2 to 200 branches")
	case c.Days < 1 || c.Days > 366:
		return errors.New("simulations: 1 to 366 days")
	case c.PatronsPerBranch < 2 || c.TitlesPerBranch < 2:
		return errors.New("simulations: too small a library")
	case c.Rejoin && !c.Compact:
		return errors.New("simulations: a replica rejoining after the compaction horizon needs compaction on")
	case c.Rejoin && c.NewReplica && c.Branches-btoi(c.LateRegistration) < 3:
		return errors.New("simulations: a new replica and a rejoining one need three branches (besides a late one)")
	case c.PlantBug != "" && !knownBug(c.PlantBug):
		return fmt.Errorf("simulations: unknown bug %q (known: %s)", c.PlantBug, strings.Join(PlantedBugs(), ", "))
	}
	return nil
}

// RaftBugs are bugs the simulation can plant in its model of the central
// Raft cluster, to check that the checker notices lost commits:
// raft-any-vote grants votes without Raft's rule that the candidate's log
// be at least as up to date as the voter's.
var RaftBugs = []string{"raft-any-vote"}

// DigitalBugs are bugs the simulation can plant in digital lending:
// digital-branch-grants lets each branch grant e-book loans from its own
// knowledge (as an offline grant would), not through central.
var DigitalBugs = []string{"digital-branch-grants"}

// PlantedBugs lists every bug -plant-bug knows.
func PlantedBugs() []string {
	return append(append(append(append(append(append(append(applierBugNames(), RaftBugs...), DigitalBugs...), NoticesBugs...), EventsBugs...), PrivacyBugs...), FeedbackBugs...), RebootstrapBugs...)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func knownBug(b string) bool {
	for _, k := range PlantedBugs() {
		if k == b {
			return true
		}
	}
	return false
}

// Result is what a run did and found.
type Result struct {
	Seed                uint64
	Branches, Days      int
	Commands, Refused   int
	Failed              int // commands that failed for an injected fault (full disk, crash)
	Ops                 int
	Messages, Delivered int
	Faults              map[string]int
	Conflicts           map[string]int
	// Central: commands central issued (ok / not acknowledged), Raft
	// entries committed, elections and leader changes.
	CentralCommands, CentralUnavailable int
	CentralEntries                      uint64
	Elections, LeaderChanges            int
	// Compacted counts op rows deleted by compaction at every replica
	// (Config.Compact).
	Compacted int
	// NewReplicas and Rebootstrapped count branch appliances replaced by
	// a new replica from a snapshot (Config.NewReplica, Config.Rejoin).
	NewReplicas, Rebootstrapped int
	Simulated, Real             time.Duration
	// Stopped: the run was cancelled before its last day; what had been
	// simulated was still healed and checked.
	Stopped   bool
	StateHash string
	// Digital is the digital lending phase, run after the day is healed
	// and checked.
	Digital DigitalStats
	// Notices is the notices phase, run after digital lending.
	Notices NoticesStats
	// Events is the events phase, run after notices.
	Events EventsStats
	// Erasures counts the privacy phase's erasures checked everywhere.
	Erasures int
	// FeedbackChecks counts the feedback phase's checks that a patron
	// invited at cut-off branches is asked once.
	FeedbackChecks int
	Failures       []string
	PeakRSSBytes   uint64
}

// OK reports a run without invariant failures.
func (r *Result) OK() bool { return len(r.Failures) == 0 }

// Summary is the run in a few lines.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d branches, %d days\n", r.Seed, r.Branches, r.Days)
	if r.Stopped {
		fmt.Fprintf(&b, "  stopped early, after %s simulated; healed and checked\n", r.Simulated)
	}
	fmt.Fprintf(&b, "  commands %d (refused by the rules %d, failed by faults %d), ops %d, sync messages %d sent, %d delivered\n",
		r.Commands, r.Refused, r.Failed, r.Ops, r.Messages, r.Delivered)
	fmt.Fprintf(&b, "  central: 3 replicas, %d Raft entries committed, %d elections, %d leader changes; %d central commands (%d not acknowledged: no leader)\n",
		r.CentralEntries, r.Elections, r.LeaderChanges, r.CentralCommands, r.CentralUnavailable)
	fmt.Fprintf(&b, "  faults %s\n  conflicts %s\n  state %s\n", fmtCounts(r.Faults), fmtCounts(r.Conflicts), r.StateHash)
	if r.Compacted > 0 {
		fmt.Fprintf(&b, "  compacted %d op rows\n", r.Compacted)
	}
	if r.NewReplicas+r.Rebootstrapped > 0 {
		fmt.Fprintf(&b, "  replicas from snapshots: %d new, %d re-bootstrapped after the horizon (%d pulls answered rebootstrap_required)\n",
			r.NewReplicas, r.Rebootstrapped, r.Faults["rebootstrap-required"])
	}
	b.WriteString(r.Digital.line())
	b.WriteString(r.Notices.line())
	b.WriteString(r.Events.line())
	if r.OK() {
		b.WriteString("  OK: all invariants held\n")
	} else {
		fmt.Fprintf(&b, "  FAILED: %d invariant violations, first: %s\n", len(r.Failures), r.Failures[0])
	}
	return b.String()
}

// Timing is the run's speed, which (unlike the summary) varies run to run.
func (r *Result) Timing() string {
	return fmt.Sprintf("  simulated %s in %s (%.0fx real time), %.0f ops/s, peak RSS %d MB\n", r.Simulated, r.Real.Round(time.Millisecond),
		r.Simulated.Seconds()/max(r.Real.Seconds(), 1e-9), float64(r.Ops)/max(r.Real.Seconds(), 1e-9), r.PeakRSSBytes>>20)
}

func fmtCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// simClock is a node's view of simulated time: the true time plus its
// skew. Its timers run on the simulation's clock; a function it calls
// later (a syncer's round) runs as a task of the network, alone.
type simClock struct {
	sim  *sim
	skew time.Duration
}

var _ clock.Clock = (*simClock)(nil)

func (c *simClock) Now() time.Time { return c.sim.now.Add(c.skew) }

func (c *simClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func (c *simClock) NewTimer(d time.Duration) (clock.Timer, <-chan time.Time) {
	return c.sim.clk.NewTimer(d)
}

func (c *simClock) NewTicker(d time.Duration) (clock.Ticker, <-chan time.Time) {
	return c.sim.clk.NewTicker(d)
}

func (c *simClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	s := c.sim
	return s.clk.AfterFunc(d, func() {
		s.now = s.clk.Now()
		s.net.run(f)
	})
}

// chacha adapts a seeded generator to io.Reader.
type chacha struct{ r *rand.ChaCha8 }

func (c chacha) Read(p []byte) (int, error) { return c.r.Read(p) }

// sim is one run's state.
type sim struct {
	cfg Config
	ctx context.Context
	r   *rand.Rand
	// known is the applier whose op kinds every endpoint admits (validOp).
	known *branch.Applier
	// now is the simulated time, as clk reads it; clk's Advance runs the
	// sync loops' rounds that fall due, in time order.
	now   time.Time
	clk   *clock.Fake
	start time.Time
	// realStart is the wall clock at the start, for progress lines only.
	realStart time.Time
	dir       string
	nodes     []*simNode
	net       *network
	// central is the simulated central site; ackedCentral the highest op
	// per origin it acknowledged holding (a push accepted, a central
	// command answered).
	central      *centralCluster
	ackedCentral replicate.VersionVector
	res          *Result
	lg           *slog.Logger

	healAt time.Time

	// Compaction (Config.Compact): each replica's vector as last seen up,
	// and the stable vector central announces.
	lastVV map[string]replicate.VersionVector
	stable replicate.VersionVector
	// lastSeen: when each replica was last seen up; excluded: the nodes
	// left out of the stable vector for the horizon (they must
	// re-bootstrap).
	lastSeen map[string]time.Time
	excluded map[replicate.NodeID]bool

	// Replicas from snapshots (rebootstrap.go).
	replaceIdx, rejoinIdx int
	replaceAt, rejoinAt   time.Time
	replacements          int
	retired               []retiredNode

	titles     []string   // biblio IDs
	barcodes   []string   // every copy
	homeItems  [][]int    // per branch, its copies (index in barcodes)
	lateBranch int        // a branch not yet in the registry, or -1
	holdsAt    [][]string // per pickup branch, the hold IDs placed (active ones, as far as known)
	cards      []string
	popular    []string // a few patrons whose details everyone edits
	nextCard   int
}

// Run runs one simulation. An error is a failure of the harness itself;
// invariant violations are in Result.Failures.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Activity <= 0 {
		cfg.Activity = 1
	}
	dir := cfg.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "stacks-sim-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	s := &sim{cfg: cfg, ctx: context.WithoutCancel(ctx), // no goroutine per query; the loop checks ctx
		r: rand.New(rand.NewPCG(cfg.Seed, 0x5ac5)), dir: dir, lg: cfg.Logger,
		now:          time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC), // a Monday
		res:          &Result{Seed: cfg.Seed, Branches: cfg.Branches, Days: cfg.Days, Faults: map[string]int{}, Conflicts: map[string]int{}},
		ackedCentral: replicate.VersionVector{}, lateBranch: -1, excluded: map[replicate.NodeID]bool{}}
	s.start = s.now
	s.clk = clock.NewFake(s.now)
	s.net = newNetwork(s)
	s.realStart = time.Now()
	defer func() {
		for _, n := range s.nodes {
			n.stop()
		}
		if s.central != nil {
			for _, r := range s.central.reps {
				r.stop()
			}
		}
	}()
	if err := s.setup(); err != nil {
		return nil, err
	}
	s.planReplicas()
	end := s.start.Add(time.Duration(cfg.Days) * 24 * time.Hour)
	for s.now.Before(end) {
		if ctx.Err() != nil {
			// Stopped (Ctrl-C on a long run): heal and check what was
			// simulated, rather than lose it.
			s.res.Stopped = true
			break
		}
		if err := s.tick(); err != nil {
			return nil, err
		}
		s.clk.Advance(time.Minute)
		s.now = s.clk.Now()
	}
	if err := s.heal(); err != nil {
		return nil, err
	}
	s.checkFinal()
	s.res.Simulated = s.now.Sub(s.start)
	s.digitalPhase()
	s.noticesPhase()
	s.eventsPhase()
	s.feedbackPhase()
	s.privacyPhase()
	s.res.Real = time.Since(s.realStart)
	s.res.PeakRSSBytes = peakRSS()
	return s.res, nil
}

func (s *sim) fail(format string, args ...any) {
	msg := fmt.Sprintf("%s: ", s.now.Format("Mon 15:04")) + fmt.Sprintf(format, args...)
	s.lg.Error("invariant violated", "msg", msg)
	if len(s.res.Failures) < 100 {
		s.res.Failures = append(s.res.Failures, msg)
	}
}

func (s *sim) branchID(i int) string { return fmt.Sprintf("B%02d", i) }

// tick is one simulated minute: faults, the library's work, sync.
func (s *sim) tick() error {
	s.faults()
	s.central.tick()
	s.centralWork()
	s.replicaWork()
	for i, n := range s.nodes {
		if !n.isUp || n.draining || n.needsRebootstrap {
			continue // a branch whose appliance is being replaced takes no work
		}
		if s.now.Hour() == 8 && s.now.Minute() == 45 {
			s.morning(i)
		}
		if s.now.Hour() == 9 && s.now.Minute() == 15 && s.now.Weekday() != time.Sunday {
			s.van(i)
		}
		for k := s.arrivals(); k > 0 && n.isUp; k-- { // a crash ends the minute's work
			s.command(i)
		}
	}
	s.net.deliverDue()
	if s.cfg.Compact && s.now.Minute() == 30 {
		s.compactTick()
	}
	if s.now.Hour() == 23 && s.now.Minute() == 59 {
		for _, n := range s.nodes {
			if n.isUp {
				s.checkNode(n)
			}
		}
		for _, r := range s.central.reps {
			if r.isUp {
				s.checkDB(r.label, r.db)
			}
		}
		s.progress()
	}
	return nil
}

// progress reports the day just ended to Config.Progress. Ops are counted
// at the central replica that holds the most (pushes reach central).
func (s *sim) progress() {
	if s.cfg.Progress == nil {
		return
	}
	ops := uint64(0)
	for _, r := range s.central.reps {
		if !r.isUp {
			continue
		}
		if vv, err := r.ol.VersionVector(s.ctx); err == nil {
			ops = max(ops, sumVector(vv))
		}
	}
	day := int(s.now.Sub(s.start)/(24*time.Hour)) + 1
	fmt.Fprintf(s.cfg.Progress, "day %d (%s): %d ops at central, real %s, peak RSS %d MB\n",
		day, s.now.Format("Mon 2 Jan"), ops, time.Since(s.realStart).Round(time.Second), peakRSS()>>20)
}

// ackCentral notes that central acknowledged holding op (origin, counter).
func (s *sim) ackCentral(origin replicate.NodeID, counter uint64) {
	if counter > s.ackedCentral[origin] {
		s.ackedCentral[origin] = counter
	}
}

// arrivals draws how many commands a branch gets this minute. At Activity
// 1 a branch is a mid-size one: about 1,500 desk, kiosk and web
// transactions on a weekday (the busy afternoons twice the mornings), fewer
// on a Saturday, none on a Sunday, a trickle of web requests at night.
func (s *sim) arrivals() int {
	h, wd := s.now.Hour(), s.now.Weekday()
	rate := 0.1 // web and kiosk traffic at night
	switch {
	case wd == time.Sunday:
	case wd == time.Saturday && h >= 10 && h < 16:
		rate = 2.5
	case wd != time.Saturday && h >= 9 && h < 19:
		rate = 1.8
		if h >= 14 && h < 18 {
			rate = 3.6 // busy afternoons
		}
	}
	rate *= s.cfg.Activity
	n := 0
	for rate > 0 {
		if s.r.Float64() < min(rate, 1) {
			n++
		}
		rate--
	}
	return n
}

func (s *sim) heal() error {
	s.net.healAll()
	s.net.abandonAll() // what is still in flight is superseded by the full exchange below
	for _, n := range s.nodes {
		n.crashPending = false
		if !n.isUp {
			if err := n.restart(); err != nil {
				return err
			}
		}
		if n.diskFull {
			n.db.SetMaxPageCount(s.ctx, 0)
			n.diskFull = false
		}
	}
	c := s.central
	c.crashLeaderNext, c.slowUntil = false, time.Time{}
	for _, r := range c.reps {
		r.crashPending = false
		r.restartAt = s.now
	}
	c.tick() // restarts, elects, brings every replica up to date
	l := c.leader()
	if l == nil {
		s.fail("no central leader after healing")
		return nil
	}
	if s.lateBranch >= 0 { // central was unreachable all along: the new branch is registered now
		ctx := domain.WithActor(s.ctx, domain.Actor{ID: "central-it", Role: domain.RoleAdmin, Channel: domain.ChannelAPI})
		if err := s.registerNode(l.svc, ctx, s.lateBranch); err != nil {
			s.fail("registering %s after healing: %v", s.nodes[s.lateBranch].branch, err)
		}
		s.lateBranch = -1
	}
	if err := s.healReplacements(l); err != nil {
		return err
	}
	// Deliver everything everywhere until nothing moves: every branch with
	// the central leader, and with each other in a small system.
	pairs := [][2]int{}
	for i := range s.nodes {
		pairs = append(pairs, [2]int{i, l.ep}, [2]int{l.ep, i})
		if len(s.nodes) <= 8 {
			for j := range s.nodes {
				if i != j {
					pairs = append(pairs, [2]int{i, j})
				}
			}
		}
	}
	for round := 0; round < 10; round++ {
		moved := 0
		for _, p := range pairs {
			k, err := s.net.transfer(p[0], p[1])
			if err != nil {
				return err
			}
			moved += k
		}
		if moved == 0 {
			c.tick()
			return nil
		}
	}
	s.fail("replicas still exchanging ops after 10 full rounds")
	return nil
}

var _ io.Reader = chacha{}

func nodeDir(root string, i int) string { return filepath.Join(root, fmt.Sprintf("node%02d", i)) }
