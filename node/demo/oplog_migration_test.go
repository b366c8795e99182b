package demo_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"stacks/branch"
	"stacks/node/demo"
	"stacks/replicate"
	"stacks/replicate/replicatetest"
)

// TestCompactOpLogMigrationDemo: the demo library's op log, as the version
// before the compact op log stored it, is converted in place when the new
// version opens the database, and every op reads back equal.
func TestCompactOpLogMigrationDemo(t *testing.T) {
	ctx := context.Background()
	db, err := replicate.OpenDBOptions(ctx, filepath.Join(t.TempDir(), "demo.db"), branch.Migrations(), replicate.DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lg := replicate.NewLog(db, replicate.DefaultConfig(42), branch.Applier{})
	if err := lg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if _, err := demo.Load(ctx, lg, demo.Options{PINCost: 4, Rand: replicatetest.NewRand(1), Now: now, Location: time.UTC}); err != nil {
		t.Fatal(err)
	}
	ops, err := lg.AllOps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(t.TempDir(), "old.db")
	if err := replicatetest.WriteV1Log(ctx, oldPath, ops); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	odb, err := replicate.OpenDBOptions(ctx, oldPath, branch.Migrations(), replicate.DBOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	t.Logf("converted the demo library's %d ops in %v", len(ops), time.Since(start))
	olg := replicate.NewLog(odb, replicate.DefaultConfig(43), branch.Applier{})
	if err := olg.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer olg.Close()
	got, err := olg.AllOps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ops) {
		t.Fatalf("%d ops after the migration, want %d", len(got), len(ops))
	}
	for i := range ops {
		if !reflect.DeepEqual(got[i], ops[i]) {
			t.Fatalf("op %d: %+v, want %+v", i, got[i], ops[i])
		}
	}
}
