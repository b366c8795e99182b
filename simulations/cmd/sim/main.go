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
	"strings"

	"stacks/simulations"
)

func main() {
	seed := flag.Uint64("seed", 1, "the seed of the (first) run")
	seeds := flag.Int("seeds", 1, "run this many seeds, from -seed on")
	branches := flag.Int("branches", 3, "branches")
	days := flag.Int("days", 1, "simulated days")
	patrons := flag.Int("patrons", 12, "patrons per branch")
	titles := flag.Int("titles", 20, "titles per branch")
	activity := flag.Float64("activity", simulations.DefaultConfig(0).Activity, "scale of the workload (1: a mid-size branch, ~1,500 transactions a weekday)")
	bug := flag.String("plant-bug", "", "plant a known bug to check the checker: "+strings.Join(simulations.PlantedBugs(), ", "))
	noFaults := flag.Bool("no-faults", false, "run without faults")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	failed := 0
	for k := 0; k < *seeds; k++ {
		cfg := simulations.DefaultConfig(*seed + uint64(k))
		cfg.Branches, cfg.Days, cfg.PatronsPerBranch, cfg.TitlesPerBranch, cfg.Activity, cfg.PlantBug = *branches, *days, *patrons, *titles, *activity, *bug
		if *noFaults {
			cfg.Faults = simulations.Faults{}
		}
		res, err := simulations.Run(ctx, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sim:", err)
			os.Exit(2)
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
			fmt.Println("  replay:", replay)
		}
	}
	if *seeds > 1 {
		fmt.Printf("%d seeds, %d failed\n", *seeds, failed)
	}
	if failed > 0 {
		os.Exit(1)
	}
}
