package node_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"stacks/branch"
	"stacks/node"
	"stacks/node/nodetest"
	"stacks/replicate/clock"
)

// TestHoldSweeperRunsOnTheClock: the hold-shelf sweeper and the WAL
// checkpointer take their tickers from the node's clock; holds left on
// the shelf expire once the fake clock passes their last shelf day and the
// sweep interval, with no sleep and no wait for wall-clock time.
func TestHoldSweeperRunsOnTheClock(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.PINCost, cfg.Branch = filepath.Join(t.TempDir(), "main"), "127.0.0.1:0", 4, "MAIN"
	cfg.Demo, cfg.Clock, cfg.Location, cfg.HoldSweep = true, fake, time.UTC, time.Hour
	n := nodetest.Start(t, cfg)
	// Armed on the fake clock: the checkpointer's ticker and the sweeper's.
	waitFor(t, "the checkpointer and the sweeper to arm their tickers", func() bool { return fake.Waiting() == 2 })
	ctx := branch.WithActor(context.Background(), branch.Actor{ID: "test", Role: branch.RoleAdmin, Channel: branch.ChannelAPI})
	shelf, err := n.Service().HoldShelf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ready := len(shelf.Ready)
	if ready == 0 {
		t.Fatal("the demo library has no hold ready on MAIN's shelf")
	}
	// A month on, every hold on the shelf is past its last day: the next
	// sweep expires them all.
	fake.Advance(30 * 24 * time.Hour)
	waitFor(t, "the sweep", func() bool {
		shelf, err := n.Service().HoldShelf(ctx)
		return err == nil && len(shelf.Ready) == 0 && len(shelf.ToClear) >= ready
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // poll
	}
}
