// Command stacks is the operator CLI of a Stacks library: the staff desk
// (stacks tui), cluster health (stacks status) and cluster management.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands are the subcommands, by name.
var commands = map[string]command{
	"tui": {name: "tui", summary: "the staff desk: checkout, checkin, patrons, holds, catalogue, sync", run: runTUI},
}

func main() {
	err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "stacks:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "stacks", commands, args, stdout, stderr)
}

// dispatch runs the command of table that args name, or prints the
// table's usage for none, -h or an unknown one. prog is how the table is
// invoked ("stacks", "stacks cluster").
func dispatch(ctx context.Context, prog string, table map[string]command, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, prog, table)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return flag.ErrHelp
	}
	c, ok := table[args[0]]
	if !ok {
		usage(stderr, prog, table)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, prog string, table map[string]command) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n", prog)
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(table))
	for n := range table {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, table[n].summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> -h' for a command's flags.\n", prog)
}

// flagSet is a command's flag set, writing its usage to w.
func flagSet(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("stacks "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// trimURL drops a trailing slash from a base URL.
func trimURL(s string) string { return strings.TrimRight(s, "/") }
