package simulations_test

import (
	"context"
	"flag"
	"strings"
	"testing"

	"stacks/simulations"
)

var (
	seeds      = flag.Int("sim.seeds", 0, "seeds of TestSeeds (default 100, 15 with -short)")
	largeScale = flag.Bool("sim.large", false, "run the large scenario (slow)")
)

func run(t *testing.T, cfg simulations.Config) *simulations.Result {
	t.Helper()
	res, err := simulations.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("seed %d: harness error: %v", cfg.Seed, err)
	}
	return res
}

// TestSeeds runs the small scenario (three branches, a day, every fault)
// over many seeds; every invariant must hold in each.
func TestSeeds(t *testing.T) {
	n := *seeds
	if n == 0 {
		n = 100
		if testing.Short() {
			n = 15
		}
	}
	total := map[string]int{}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		res := run(t, simulations.DefaultConfig(seed))
		if !res.OK() {
			t.Fatalf("%s\nreplay: go run ./simulations/cmd/sim -seed %d", res.Summary(), seed)
		}
		for k, v := range res.Faults {
			total[k] += v
		}
	}
	t.Logf("%d seeds OK; faults injected: %v", n, total)
	for _, f := range []string{"partition", "message-lost", "message-duplicated", "crash", "crash-before-commit", "restart", "disk-full", "clock-skew"} {
		if total[f] == 0 {
			t.Errorf("no %s fault in %d seeds", f, n)
		}
	}
}

// TestRegressionSeeds keeps the seeds that found bugs: 2 and 3 crashed a
// branch in the middle of applying a sync batch, which the sync code
// reported as a corrupt batch from its peer.
func TestRegressionSeeds(t *testing.T) {
	for _, seed := range []uint64{2, 3} {
		cfg := simulations.DefaultConfig(seed)
		cfg.Days = 2
		if res := run(t, cfg); !res.OK() {
			t.Fatalf("%s", res.Summary())
		}
	}
}

// TestSameSeedSameRun: a seed replays exactly.
func TestSameSeedSameRun(t *testing.T) {
	a := run(t, simulations.DefaultConfig(7)).Summary()
	b := run(t, simulations.DefaultConfig(7)).Summary()
	if a != b {
		t.Fatalf("seed 7 ran differently:\n%s\n%s", a, b)
	}
}

// TestPlantedBugIsCaught: with last-writer-wins broken to arrival order,
// the checker must fail, so it cannot pass silently.
func TestPlantedBugIsCaught(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		cfg := simulations.DefaultConfig(seed)
		cfg.PlantBug = "arrival-order"
		res := run(t, cfg)
		if res.OK() {
			t.Fatalf("seed %d: the planted arrival-order bug went unnoticed:\n%s", seed, res.Summary())
		}
		if !strings.Contains(strings.Join(res.Failures, "\n"), "differs") {
			t.Fatalf("seed %d: failed, but not by divergence: %v", seed, res.Failures)
		}
	}
}

// TestLargeScenario runs under -sim.large: many branches over weeks.
func TestLargeScenario(t *testing.T) {
	if !*largeScale {
		t.Skip("run with -sim.large")
	}
	cfg := simulations.DefaultConfig(42)
	cfg.Branches, cfg.Days, cfg.PatronsPerBranch, cfg.TitlesPerBranch, cfg.Activity = 20, 7, 30, 40, 2
	res := run(t, cfg)
	t.Logf("\n%s%s", res.Summary(), res.Timing())
	if !res.OK() {
		t.Fatal("invariants failed")
	}
}
