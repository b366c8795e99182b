package main

import (
	"context"
	"io"
)

// clusterCommands are the subcommands of 'stacks cluster', by name. Each
// file that adds one registers it in an init function.
var clusterCommands = map[string]command{}

func init() {
	commands["cluster"] = command{name: "cluster", summary: "manage the central cluster: join, remove, enroll", run: runCluster}
}

func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "stacks cluster", clusterCommands, args, stdout, stderr)
}
