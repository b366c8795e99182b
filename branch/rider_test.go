package branch_test

import (
	"context"
	"errors"
	"testing"

	"stacks/branch"
	"stacks/branch/domain"
	"stacks/replicate"
)

// TestRider: a rider runs once, inside the first command of its request
// that emits ops, after those ops; a failed transaction leaves it to the
// next command; Close stops it.
func TestRider(t *testing.T) {
	e := newEnv(t)
	var calls int
	var seen []string
	ctx, rd := branch.WithRider(e.ctx, func(ctx context.Context, tx *branch.Txn, ops []replicate.Op) error {
		calls++
		if calls == 1 {
			return errors.New("the rider refuses once")
		}
		for _, op := range ops {
			seen = append(seen, op.Kind)
		}
		return nil
	})
	c0 := e.log.Commits.Load()
	if err := e.svc.SetLibrary(ctx, domain.Library{BranchID: "NORTH", Name: "North"}); err == nil || calls != 1 {
		t.Fatalf("a rider's error fails the command: %v, %d calls", err, calls)
	}
	if n := e.log.Commits.Load() - c0; n != 0 {
		t.Fatalf("the failed command committed: %d", n)
	}
	if err := e.svc.Update(ctx, func(*branch.Txn) error { return nil }); err != nil || calls != 1 {
		t.Fatalf("a command that emits nothing ran the rider: %v, %d calls", err, calls)
	}
	mustNoErr(t, e.svc.SetLibrary(ctx, domain.Library{BranchID: "NORTH", Name: "North"}))
	if calls != 2 || len(seen) != 1 || seen[0] != branch.KindLibrarySet {
		t.Fatalf("rider after the command's ops: %d calls, saw %v", calls, seen)
	}
	mustNoErr(t, e.svc.SetLibrary(ctx, domain.Library{BranchID: "SOUTH", Name: "South"}))
	if calls != 2 || !rd.Close() {
		t.Fatalf("rider ran again or did not ride: %d calls", calls)
	}

	ctx, rd = branch.WithRider(e.ctx, func(context.Context, *branch.Txn, []replicate.Op) error { calls++; return nil })
	if rd.Close() {
		t.Fatal("a rider that never ran rode")
	}
	mustNoErr(t, e.svc.SetLibrary(ctx, domain.Library{BranchID: "WEST", Name: "West"}))
	if calls != 2 {
		t.Fatal("a closed rider ran")
	}
}
