package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

// clusterCommands are the subcommands of 'stacks cluster', by name. Each
// file that adds one registers it in an init function.
var clusterCommands = map[string]command{}

func init() {
	commands["cluster"] = command{name: "cluster", summary: "manage the central cluster: join, remove, enroll", run: runCluster}
}

func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		clusterUsage(stderr)
		if len(args) == 0 {
			return errors.New("no cluster command given")
		}
		return flag.ErrHelp
	}
	c, ok := clusterCommands[args[0]]
	if !ok {
		clusterUsage(stderr)
		return fmt.Errorf("unknown cluster command %q", args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func clusterUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: stacks cluster <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(clusterCommands))
	for n := range clusterCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, clusterCommands[n].summary)
	}
}
