// Command sim runs deterministic simulations of a library system under
// faults and checks its invariants.
//
//	go run ./simulations/cmd/sim -seed 7 -branches 3 -days 2
//	go run ./simulations/cmd/sim -seeds 100
//	go run ./simulations/cmd/sim -seed 7 -plant-bug arrival-order
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"stacks/simulations"
)

func main() { os.Exit(run()) }

func run() int {
	seed := flag.Uint64("seed", 1, "the seed of the (first) run")
	seeds := flag.Int("seeds", 1, "run this many seeds, from -seed on")
	branches := flag.Int("branches", 3, "branches")
	days := flag.Int("days", 1, "simulated days")
	patrons := flag.Int("patrons", 12, "patrons per branch")
	titles := flag.Int("titles", 20, "titles per branch")
	activity := flag.Float64("activity", simulations.DefaultConfig(0).Activity, "scale of the workload (1: a mid-size branch, ~1,500 transactions a weekday)")
	bug := flag.String("plant-bug", "", "plant a known bug to check the checker: "+strings.Join(simulations.PlantedBugs(), ", "))
	noFaults := flag.Bool("no-faults", false, "run without faults")
	late := flag.Bool("late-registration", false, "register the last branch at central only at 11:00 (it found a central bug, fixed in 92747a9)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	heapMB := flag.Int("sqlite-heap-limit", 0, "SQLite's soft heap limit for the whole process, in MB (0: none); caches shrink to stay under it")
	compact := flag.Bool("compact", false, "compact the op log by causal stability every simulated hour")
	newReplica := flag.Bool("new-replica", false, "replace one branch's appliance mid-run by a new replica bootstrapped from a snapshot of a live peer")
	rejoin := flag.Bool("rejoin", false, "with -compact: one branch is down past the compaction horizon, is told to re-bootstrap when it returns, pushes its own ops and is replaced from a snapshot")
	horizon := flag.Duration("horizon", 0, "compaction horizon: a replica not seen for longer no longer holds compaction back (0: none; 3h with -rejoin)")
	progress := flag.Bool("progress", false, "print a line to stderr at the end of every simulated day")
	dir := flag.String("dir", "", "keep the databases in this directory (default: a temporary one, removed)")
	large := flag.Bool("large", false, "the large scenario (12 busy branches, 30 days, 1000 patrons and 1000 titles a branch, activity 2.5, -sqlite-heap-limit 256); other flags given override it")
	flag.Parse()
	if *large {
		lc := simulations.LargeConfig(0)
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]*int{"branches": branches, "days": days, "patrons": patrons, "titles": titles} {
			if !set[name] {
				*v = map[string]int{"branches": lc.Branches, "days": lc.Days, "patrons": lc.PatronsPerBranch, "titles": lc.TitlesPerBranch}[name]
			}
		}
		if !set["activity"] {
			*activity = lc.Activity
		}
		if !set["sqlite-heap-limit"] {
			*heapMB = 256
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sim:", err)
			return 2
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *heapMB > 0 {
		if err := simulations.SetSQLiteHeapLimit(int64(*heapMB) << 20); err != nil {
			fmt.Fprintln(os.Stderr, "sim:", err)
			return 2
		}
	}
	// Ctrl-C ends the simulated period early: the run heals, checks and
	// prints what it has. A second Ctrl-C kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	finished := make(chan struct{})
	defer close(finished) // runs before stop: a normal exit is not a Ctrl-C
	go func() {
		select {
		case <-ctx.Done():
			fmt.Fprintln(os.Stderr, "sim: stopping: healing and checking what was simulated (Ctrl-C again to kill)")
			stop()
		case <-finished:
		}
	}()
	failed := 0
	for k := 0; k < *seeds && ctx.Err() == nil; k++ {
		cfg := simulations.DefaultConfig(*seed + uint64(k))
		cfg.Branches, cfg.Days, cfg.PatronsPerBranch, cfg.TitlesPerBranch, cfg.Activity, cfg.PlantBug = *branches, *days, *patrons, *titles, *activity, *bug
		if *noFaults {
			cfg.Faults = simulations.Faults{}
		}
		cfg.LateRegistration = *late
		cfg.Compact = *compact
		cfg.NewReplica, cfg.Rejoin, cfg.Horizon = *newReplica, *rejoin, *horizon
		if *progress {
			cfg.Progress = os.Stderr
		}
		if *dir != "" {
			cfg.Dir = filepath.Join(*dir, fmt.Sprintf("seed%d", cfg.Seed))
		}
		res, err := simulations.Run(ctx, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sim:", err)
			return 2
		}
		fmt.Print(res.Summary())
		fmt.Print(res.Timing())
		if !res.OK() {
			failed++
			for _, f := range res.Failures[:min(5, len(res.Failures))] {
				fmt.Println("    ", f)
			}
			replay := fmt.Sprintf("go run ./simulations/cmd/sim -seed %d -branches %d -days %d -patrons %d -titles %d -activity %g",
				res.Seed, *branches, *days, *patrons, *titles, *activity)
			if *bug != "" {
				replay += " -plant-bug " + *bug
			}
			if *noFaults {
				replay += " -no-faults"
			}
			if *late {
				replay += " -late-registration"
			}
			fmt.Println("  replay:", replay)
		}
	}
	if *seeds > 1 {
		fmt.Printf("%d seeds, %d failed\n", *seeds, failed)
	}
	if failed > 0 {
		return 1
	}
	return 0
}
